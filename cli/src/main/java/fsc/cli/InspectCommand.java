package fsc.cli;

import fsc.backend.java.JavaBackend;
import fsc.cli.pictures.Pictures;
import fsc.compiler.IrFiles;
import fsc.frontend.onnx.ImportOptions;
import fsc.frontend.onnx.OnnxImporter;
import fsc.frontend.onnx.OnnxModelInfo;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.Pipelines;
import fsc.passes.PlanMemoryPass;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fsc inspect}: what is in a model, before compiling it. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = {
            "Describe a model: inputs and outputs with dims, op histogram, parameter count and bytes, opsets.",
            "",
            "With --graph or --memory-plan, draws the optimised graph (Graphviz) or its memory plan (SVG).",
            "",
            "Example:",
            "  fsc inspect all-minilm-l6-v2.onnx",
            "  fsc inspect all-minilm-l6-v2.onnx --bound batch=1 --bound batch_1=128 --memory-plan plan.svg"
        })
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "An .onnx or .gguf model, or an .fsir dump.")
    Path model;

    @Option(
            names = "--graph",
            paramLabel = "FILE",
            description = "Draw the graph after the default pipeline (FILE.svg via Graphviz dot, or FILE.dot).")
    Path graphPicture;

    @Option(
            names = "--memory-plan",
            paramLabel = "FILE.svg",
            description = "Draw the memory plan: x = node index, y = arena offset, one rectangle per buffer.")
    Path planPicture;

    @Option(
            names = "--bound",
            paramLabel = "SYM=N",
            description = "Upper bound of a symbolic dimension, as in compile.")
    Map<String, Long> bounds = new LinkedHashMap<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException {
        var out = spec.commandLine().getOut();
        if (graphPicture != null || planPicture != null) {
            Graph g = optimised();
            if (graphPicture != null) {
                out.println(Pictures.writeGraph(g, graphPicture, System.getenv("PATH")));
            }
            if (planPicture != null) {
                out.println(Pictures.writeMemoryPlan(g, planPicture));
            }
            out.flush();
            return 0;
        }
        if (IrFiles.isIr(model)) {
            out.print(IrSummary.render(model, IrFiles.read(model)));
        } else if (model.getFileName().toString().endsWith(".gguf")) {
            out.print(fsc.frontend.gguf.GgufModelInfo.read(model).render());
        } else {
            OnnxModelInfo info = OnnxModelInfo.read(model);
            Graph imported = importedOrNull();
            out.print((imported == null ? info : withImportedTypes(info, imported)).render());
            if (imported != null && !imported.symbols().isEmpty()) {
                out.println("symbols (upper bounds, set with --bound SYM=N): "
                        + String.join(
                                ", ",
                                imported.symbols().entrySet().stream()
                                        .map(e -> e.getKey() + " <= " + e.getValue())
                                        .toList()));
            }
        }
        out.flush();
        return 0;
    }

    /** The imported graph, or null when the model does not import (inspect still describes it). */
    private Graph importedOrNull() {
        try {
            return OnnxImporter.importModel(model, importOptions());
        } catch (FscException e) {
            return null;
        }
    }

    /**
     * The inputs' and outputs' types as the importer names their dims ({@code i64[batch,batch_1]}),
     * the names every other command and {@code --bound} use, rather than the exporter's raw
     * {@code dim_param}s ({@code [batch,batch]}, {@code Addoutput_0_dim_1}).
     */
    static OnnxModelInfo withImportedTypes(OnnxModelInfo info, Graph g) {
        if (g.inputs().size() != info.inputs().size()
                || g.outputs().size() != info.outputs().size()) {
            return info;
        }
        List<OnnxModelInfo.Io> inputs = new ArrayList<>();
        for (int i = 0; i < g.inputs().size(); i++) {
            inputs.add(new OnnxModelInfo.Io(
                    info.inputs().get(i).name(), g.inputs().get(i).type().toString()));
        }
        List<OnnxModelInfo.Io> outputs = new ArrayList<>();
        for (int i = 0; i < g.outputs().size(); i++) {
            outputs.add(new OnnxModelInfo.Io(
                    info.outputs().get(i).name(), g.outputs().get(i).type().toString()));
        }
        return new OnnxModelInfo(
                info.file(),
                info.irVersion(),
                info.producerName(),
                info.producerVersion(),
                info.opsets(),
                inputs,
                outputs,
                info.ops(),
                info.parameterCount(),
                info.parameterBytes());
    }

    private ImportOptions importOptions() {
        ImportOptions options = ImportOptions.defaults();
        for (var e : bounds.entrySet()) {
            options = options.withBound(e.getKey(), e.getValue());
        }
        return options;
    }

    /** MODEL through the default pipeline (an .fsir dump as it is, planned if it has no plan yet). */
    private Graph optimised() {
        if (IrFiles.isIr(model)) {
            Graph g = IrFiles.read(model);
            return g.plan() != null ? g : new PlanMemoryPass().run(g, PassContext.defaults());
        }
        Graph imported = OnnxImporter.importModel(model, importOptions());
        return PassManager.builder()
                .build()
                .run(imported, Pipelines.cpuDefault(JavaBackend::hasKernel), PassContext.defaults())
                .graph();
    }
}
