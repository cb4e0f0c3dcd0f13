package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Verifier;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import fsc.ir.text.IrPrinter;
import fsc.ir.text.WeightSideFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * Runs a pipeline of passes. Before the first pass it verifies the input graph (a failure there is
 * the model's or the importer's, reported as an {@link FscException}); after every pass it verifies
 * again, so a broken graph is blamed on the pass that produced it ({@link IllegalStateException}
 * naming the pass). Each pass is timed, and with a dump directory the graph is written as text
 * before the first pass ({@code 00-import.fsir}) and after every pass ({@code 01-fold.fsir}, ...),
 * so a failing compile can be replayed from any step with {@code fsc opt}. The weights the dumps
 * name go once into {@code weights.fsw} beside them ({@link WeightSideFile}), rewritten only when a
 * pass adds a weight (e.g. a folded constant), so it always holds what every dump so far needs.
 *
 * <p>Immutable; build one with {@link #builder()}.
 */
public final class PassManager {
    private final Path dumpDir;
    private final boolean verify;
    private final List<PassListener> listeners;

    private PassManager(Builder b) {
        this.dumpDir = b.dumpDir;
        this.verify = b.verify;
        this.listeners = List.copyOf(b.listeners);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private Path dumpDir;
        private boolean verify = true;
        private final List<PassListener> listeners = new ArrayList<>();

        private Builder() {}

        /** Write {@code NN-name.fsir} into {@code dir} (created when missing); null turns dumps off. */
        public Builder dumpDir(Path dir) {
            this.dumpDir = dir;
            return this;
        }

        /** Verification between passes is on by default; only benchmarks of the passes turn it off. */
        public Builder verify(boolean on) {
            this.verify = on;
            return this;
        }

        /** Called after every pass, in the order added. */
        public Builder afterEachPass(PassListener listener) {
            listeners.add(listener);
            return this;
        }

        public PassManager build() {
            return new PassManager(this);
        }
    }

    public PipelineResult run(Graph input, List<Pass> pipeline, PassContext ctx) {
        if (verify) {
            try {
                Verifier.verify(input);
            } catch (IllegalStateException e) {
                throw new FscException("graph @" + input.name() + " is invalid before any pass: " + e.getMessage());
            }
        }
        TreeMap<String, WeightData> dumped = new TreeMap<>();
        dump(0, "import", input, dumped);
        Graph g = input;
        List<PassRun> runs = new ArrayList<>();
        for (int i = 0; i < pipeline.size(); i++) {
            Pass pass = pipeline.get(i);
            String name = pass.name();
            int index = i + 1;
            long start = System.nanoTime();
            Graph out = RegionPasses.run(pass, g, ctx.forPass(name));
            long nanos = System.nanoTime() - start;
            if (out == null) {
                throw new IllegalStateException("pass '" + name + "' returned no graph");
            }
            if (verify) {
                verifyAfter(name, index, out);
            }
            PassRun run = new PassRun(
                    index, name, nanos, g.nodes().size(), out.nodes().size());
            runs.add(run);
            dump(index, name, out, dumped);
            for (PassListener l : listeners) {
                l.afterPass(run, g, out);
            }
            g = out;
        }
        return new PipelineResult(g, runs);
    }

    private static void verifyAfter(String name, int index, Graph out) {
        try {
            Verifier.verify(out);
        } catch (FscException | IllegalStateException e) {
            throw new IllegalStateException(
                    "pass '" + name + "' (#" + index + ") produced an invalid graph: " + e.getMessage(), e);
        }
    }

    private void dump(int index, String name, Graph g, TreeMap<String, WeightData> dumped) {
        if (dumpDir == null) {
            return;
        }
        Path file = dumpDir.resolve(String.format(Locale.ROOT, "%02d-%s.fsir", index, name));
        try {
            Files.createDirectories(dumpDir);
            Files.writeString(file, IrPrinter.print(g), StandardCharsets.UTF_8);
            boolean grew = false;
            for (Constant c : g.constants()) {
                WeightData w = g.weights().get(c.weight());
                grew |= dumped.put(c.weight(), w) != w;
            }
            if (grew) {
                file = dumpDir.resolve(WeightSideFile.NAME);
                WeightSideFile.write(file, new Weights(dumped));
            }
        } catch (IOException e) {
            throw new FscException("cannot write IR dump " + file + ": " + e.getMessage(), null, e);
        }
    }
}
