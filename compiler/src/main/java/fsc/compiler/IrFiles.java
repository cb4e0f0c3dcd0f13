package fsc.compiler;

import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import fsc.ir.text.IrParser;
import fsc.ir.text.WeightSideFile;
import fsc.passes.Pass;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading and writing {@code .fsir} files: the text plus the weights side file beside it, and where
 * a dump stands in a pipeline so {@code fsc compile} can resume from it.
 */
public final class IrFiles {
    private IrFiles() {}

    /** {@code NN-pass.fsir}, as {@code --dump-ir} names its files. */
    private static final Pattern DUMP_NAME = Pattern.compile("(\\d+)-([a-z0-9-]+)\\.fsir");

    public static boolean isIr(Path file) {
        return file.getFileName().toString().endsWith(".fsir");
    }

    /** Parses {@code file} with the {@code weights.fsw} next to it (needed only when it names weights). */
    public static Graph read(Path file) {
        String text;
        try {
            text = utf8(file, Files.readAllBytes(file));
        } catch (IOException e) {
            throw new FscException(file + ": cannot read: " + e.getMessage());
        }
        Path side = file.toAbsolutePath().resolveSibling(WeightSideFile.NAME);
        boolean namesWeights = text.contains("= const @\"");
        Weights weights = namesWeights || Files.exists(side) ? WeightSideFile.nextTo(file) : Weights.empty();
        return IrParser.parse(text, file.toString(), weights);
    }

    /** The text of a dump, or an error naming the offset of the first byte that is not UTF-8. */
    private static String utf8(Path file, byte[] bytes) {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length);
        java.nio.charset.CoderResult r = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                .decode(in, out, true);
        if (r.isError()) {
            throw new FscException(
                    file + ": byte offset " + in.position() + ": not UTF-8 text (an .fsir file is UTF-8)");
        }
        return out.flip().toString();
    }

    /**
     * Writes {@code g} to {@code file}, and the weights it names into the side file beside it
     * (merged with what that side file already holds, so other dumps there stay readable).
     */
    public static void write(Path file, Graph g, String text) throws IOException {
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
     * The passes of {@code pipeline} still to run on a dump: after {@code 03-dce.fsir} the passes from
     * the fourth on; the whole pipeline for a file not named like a dump. A dump whose number and pass
     * do not match {@code pipeline} (one written by another target's pipeline) is refused.
     */
    static List<Pass> remaining(Path file, List<Pass> pipeline, Target target) {
        Matcher m = DUMP_NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
            return pipeline;
        }
        int done = Integer.parseInt(m.group(1));
        String pass = m.group(2);
        if (done == 0 && pass.equals("import")) {
            return pipeline;
        }
        if (done < 1 || done > pipeline.size() || !pipeline.get(done - 1).name().equals(pass)) {
            throw new FscException(
                    file + ": pass #" + done + " of the --target " + target.cliName + " pipeline is not '" + pass + "'",
                    "give the passes to run with --passes");
        }
        return pipeline.subList(done, pipeline.size());
    }

    /**
     * {@code g} with the symbol bounds in {@code bounds} ({@code --bound} on an {@code .fsir} input).
     * A symbol the IR does not have, or an IR that already carries a memory plan (sized for its old
     * bounds), is refused rather than ignored.
     */
    static Graph withBounds(Graph g, Path file, Map<String, Long> bounds) {
        if (bounds.isEmpty()) {
            return g;
        }
        TreeMap<String, Long> symbols = new TreeMap<>(g.symbols());
        for (var e : bounds.entrySet()) {
            if (!symbols.containsKey(e.getKey())) {
                throw new FscException(
                        file + ": --bound " + e.getKey() + ": the IR has no symbol " + e.getKey(),
                        "its symbols are " + (symbols.isEmpty() ? "none" : String.join(", ", symbols.keySet())));
            }
            symbols.put(e.getKey(), e.getValue());
        }
        if (g.plan() != null) {
            throw new FscException(
                    file + ": --bound cannot change the bounds of an IR that already has a memory plan",
                    "resume from a dump written before plan-memory");
        }
        return new Graph(
                g.name(), g.inputs(), g.outputs(), g.constants(), g.nodes(), symbols, g.weights(), g.metadata());
    }
}
