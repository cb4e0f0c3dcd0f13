package fsc.cli;

import fsc.backend.java.JavaBackend;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import fsc.ir.text.IrParser;
import fsc.ir.text.WeightSideFile;
import fsc.passes.Pass;
import fsc.passes.Pipelines;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading and writing {@code .fsir} files from the command line: the text plus the weights side
 * file beside it, and where a dump stands in the default pipeline so {@code fsc compile} can resume.
 */
final class IrFiles {
    private IrFiles() {}

    /** {@code NN-pass.fsir}, as {@code --dump-ir} names its files. */
    private static final Pattern DUMP_NAME = Pattern.compile("(\\d+)-([a-z0-9-]+)\\.fsir");

    static boolean isIr(Path file) {
        return file.getFileName().toString().endsWith(".fsir");
    }

    /** Parses {@code file} with the {@code weights.fsw} next to it (needed only when it names weights). */
    static Graph read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new FscException(file + ": cannot read: " + e.getMessage());
        }
        Path side = file.toAbsolutePath().resolveSibling(WeightSideFile.NAME);
        boolean namesWeights = text.contains("= const @\"");
        Weights weights = namesWeights || Files.exists(side) ? WeightSideFile.nextTo(file) : Weights.empty();
        return IrParser.parse(text, file.toString(), weights);
    }

    /**
     * Writes {@code g} to {@code file}, and the weights it names into the side file beside it
     * (merged with what that side file already holds, so other dumps there stay readable).
     */
    static void write(Path file, Graph g, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        if (g.constants().isEmpty()) {
            return;
        }
        Path side = dir.resolve(WeightSideFile.NAME);
        TreeMap<String, WeightData> all = new TreeMap<>();
        if (Files.exists(side)) {
            all.putAll(WeightSideFile.read(side).byName());
        }
        boolean grew = false;
        for (var c : g.constants()) {
            WeightData w = g.weights().get(c.weight());
            WeightData had = all.put(c.weight(), w);
            grew |= had == null || !had.type().equals(w.type()) || !had.view().equals(w.view());
        }
        if (grew) {
            WeightSideFile.write(side, new Weights(all));
        }
    }

    /**
     * The default pipeline's passes still to run on a dump: after {@code 03-dce.fsir} the passes from
     * the fourth on; the whole pipeline for a file not named like a dump.
     */
    static List<Pass> remainingDefault(Path file) {
        List<Pass> all = Pipelines.cpuDefault(JavaBackend::hasKernel);
        Matcher m = DUMP_NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
            return all;
        }
        int done = Integer.parseInt(m.group(1));
        String pass = m.group(2);
        if (done == 0 && pass.equals("import")) {
            return all;
        }
        if (done > all.size() || !all.get(done - 1).name().equals(pass)) {
            throw new FscException(
                    file + ": pass #" + done + " of the default pipeline is not '" + pass + "'",
                    "give the passes to run with --passes");
        }
        return all.subList(done, all.size());
    }
}
