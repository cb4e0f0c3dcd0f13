package fsc.cli;

import fsc.frontend.onnx.OnnxModelInfo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code fsc inspect}: what is in a model, before compiling it. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = {
            "Describe a model: inputs and outputs with dims, op histogram, parameter count and bytes, opsets.",
            "",
            "Example:",
            "  fsc inspect all-minilm-l6-v2.onnx"
        })
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "An .onnx or .gguf model.")
    Path model;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        if (model.getFileName().toString().endsWith(".gguf")) {
            out.print(fsc.frontend.gguf.GgufModelInfo.read(model).render());
        } else {
            out.print(OnnxModelInfo.read(model).render());
        }
        out.flush();
        return 0;
    }
}
