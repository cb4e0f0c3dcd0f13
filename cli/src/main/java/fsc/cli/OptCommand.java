package fsc.cli;

import fsc.compiler.IrFiles;
import fsc.ir.Graph;
import fsc.ir.text.IrPrinter;
import fsc.passes.InterpreterCheck;
import fsc.passes.Pass;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.PassRegistry;
import fsc.passes.PipelineResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fsc opt}: runs passes on textual IR and prints the result, like {@code mlir-opt}. */
@Command(
        name = "opt",
        mixinStandardHelpOptions = true,
        description = {
            "Run passes on an .fsir file and print the resulting IR.",
            "The file is e.g. a --dump-ir dump. With no --passes it is read, verified and printed",
            "back, as mlir-opt FILE does.",
            "Weights are read from weights.fsw next to the input.",
            "",
            "Examples:",
            "  fsc opt --list-passes",
            "  fsc opt out/ir/00-import.fsir --passes fold,dce --print-ir-after-change"
        })
final class OptCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "IN.fsir", description = "The IR to start from.")
    Path input;

    @Option(
            names = "--passes",
            paramLabel = "LIST",
            split = ",",
            completionCandidates = PassNames.class,
            description = "Passes to run, in order (comma-separated), from: ${COMPLETION-CANDIDATES}."
                    + " None: print the input back.")
    List<String> passes = List.of();

    @Option(names = "--list-passes", description = "Print every pass's name and one-line summary, then exit.")
    boolean listPasses;

    /** The registry's pass names, for the help text and shell completion. */
    static final class PassNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return PassRegistry.names().iterator();
        }
    }

    @CommandLine.ArgGroup(exclusive = true)
    Printing printing;

    static final class Printing {
        @Option(names = "--print-ir-after-all", description = "Print the IR after every pass.")
        boolean all;

        @Option(
                names = "--print-ir-after",
                paramLabel = "NAME",
                description = "Print the IR after each run of pass NAME.")
        String after;

        @Option(names = "--print-ir-after-change", description = "Print the IR after every pass that changed it.")
        boolean change;
    }

    @Option(
            names = "--check-passes",
            description =
                    "After every pass, run the reference interpreter on the same random inputs and compare with the input graph.")
    boolean checkPasses;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "OUT.fsir",
            description = "Write the result there (and its weights into weights.fsw beside it) instead of printing it.")
    Path output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (listPasses) {
            out.print(PassRegistry.describe());
            out.flush();
            return 0;
        }
        if (input == null) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "Missing required parameter: 'IN.fsir' (or --list-passes)");
        }
        Graph in = IrFiles.read(input);
        List<Pass> pipeline = passes.stream().map(PassRegistry::byName).toList();
        PassManager.Builder pm = PassManager.builder();
        if (checkPasses) {
            pm.afterEachPass(InterpreterCheck.randomInputs(in, 0, 1e-4));
        }
        if (printing != null) {
            pm.afterEachPass((run, before, after) -> {
                String text = IrPrinter.print(after);
                boolean show = printing.all
                        || run.pass().equals(printing.after)
                        || (printing.change && !text.equals(IrPrinter.print(before)));
                if (show) {
                    out.println("// ----- IR after " + run.pass() + " (#" + run.index() + ")");
                    out.print(text);
                }
            });
        }
        PipelineResult result = pm.build().run(in, pipeline, PassContext.defaults());
        String text = IrPrinter.print(result.graph());
        if (output != null) {
            IrFiles.write(output, result.graph(), text);
        } else {
            if (printing != null) {
                out.println("// ----- result");
            }
            out.print(text);
        }
        out.flush();
        return 0;
    }
}
