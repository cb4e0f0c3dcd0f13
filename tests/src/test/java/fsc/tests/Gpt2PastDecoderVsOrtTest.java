package fsc.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.TensorShapeProto;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gpt2_past.onnx} (tiny GPT-2 with a past cache, ../shared/data) compiled ONCE with its past
 * length symbolic: its present is {@code [2, batch, 2, seq_len+1, 2]}, a sum the IR's {@code Dim}
 * holds since it became a sum of monomials. One jar then runs a decoder loop as a real one would,
 * feeding each step's present back as the next past, and every step is compared with ONNX Runtime
 * doing the same loop on its own outputs.
 *
 * <p>The export keeps only the last token of {@code input_ids} ({@code input_ids[:, -1:]}) and
 * declares that axis as 1; the "S" cases use a copy whose axis is the symbol {@code sequence}, so a
 * step may pass 4 ids (only the last one counts, as in ONNX Runtime) with the jar compiled once for
 * both symbols. Past length 0 is not run: fsc's symbols are sizes of at least 1 (the run-time
 * signature rejects 0; see docs/DECISIONS.md).
 */
class Gpt2PastDecoderVsOrtTest {
    private static final int LAYERS = 12;
    private static final double TOLERANCE = 1e-4;
    /** The export's position embedding has 8 rows: the new token's position, the past length, is at most 7. */
    private static final int MAX_PAST = 7;

    @TempDir
    Path dir;

    private static Path model() {
        Path p = TestModels.sharedData().resolve("onnx/models/gpt2_past.onnx");
        assertTrue(Files.isRegularFile(p), p + " is missing (../shared/data)");
        return p;
    }

    /** The export with {@code input_ids}' second axis renamed from 1 to the symbol {@code sequence}. */
    private Path withSymbolicSequence() throws Exception {
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(model()));
        ModelProto.Builder b = m.toBuilder();
        var input = b.getGraphBuilder().getInputBuilderList().stream()
                .filter(i -> i.getName().equals("input_ids"))
                .findFirst()
                .orElseThrow();
        input.getTypeBuilder()
                .getTensorTypeBuilder()
                .getShapeBuilder()
                .setDim(1, TensorShapeProto.Dimension.newBuilder().setDimParam("sequence"));
        Path out = dir.resolve("gpt2_past_seq.onnx");
        Files.write(out, b.build().toByteArray());
        return out;
    }

    private Path compile(Path onnx, String name) {
        Path jar = dir.resolve(name + ".jar");
        assertEquals(0, Main.execute("compile", onnx.toString(), "-o", jar.toString(), "--quiet"), "fsc compile");
        return jar;
    }

    private static Tensor gaussian(long[] shape, Random r) {
        float[] v = new float[Math.toIntExact(shape[0] * shape[1] * shape[2] * shape[3] * shape[4])];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.ofFloats(shape, v);
    }

    private static Map<String, Tensor> step(long[] ids, Map<String, Tensor> past) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input_ids", Tensor.ofLongs(new long[] {1, ids.length}, ids));
        in.putAll(past);
        return in;
    }

    /** The largest |fsc - ORT| over every output; fails on a name or length mismatch. */
    private static double maxAbs(Map<String, float[]> expected, Map<String, Tensor> actual, String where) {
        assertEquals(expected.keySet(), actual.keySet(), where + ": output names");
        double m = 0;
        for (var e : expected.entrySet()) {
            float[] got = actual.get(e.getKey()).toFloatArray();
            assertEquals(e.getValue().length, got.length, where + ": length of " + e.getKey());
            for (int i = 0; i < got.length; i++) {
                m = Math.max(m, Math.abs((double) got[i] - e.getValue()[i]));
            }
        }
        return m;
    }

    /** Copies: a compiled model's outputs live in its arena only until its next call. */
    private static Map<String, Tensor> presentAsPast(Map<String, Tensor> out) {
        Map<String, Tensor> past = new LinkedHashMap<>();
        for (int l = 0; l < LAYERS; l++) {
            Tensor present = out.get("present_" + l);
            past.put("past_" + l, Tensor.ofFloats(present.shape(), present.toFloatArray()));
        }
        return past;
    }

    private static Map<String, Tensor> presentAsPast(Map<String, float[]> out, long pastLength) {
        Map<String, Tensor> past = new LinkedHashMap<>();
        for (int l = 0; l < LAYERS; l++) {
            past.put("past_" + l, Tensor.ofFloats(new long[] {2, 1, 2, pastLength, 2}, out.get("present_" + l)));
        }
        return past;
    }

    /**
     * One jar, past lengths 1 to 7 in one loop (the export's position table has 8 rows, so position 7
     * is the last), 1 and 4 ids at past lengths 1, 5 and 7: each engine feeds its own present back, so
     * a drift would grow step by step.
     */
    @Test
    void decoderLoopMatchesOrtStepByStep() throws Exception {
        Path onnx = withSymbolicSequence();
        Path jar = compile(onnx, "gpt2-seq");
        Random r = new Random(42);
        Map<String, Tensor> fscPast = new LinkedHashMap<>();
        for (int l = 0; l < LAYERS; l++) {
            fscPast.put("past_" + l, gaussian(new long[] {2, 1, 2, 1, 2}, r));
        }
        Map<String, Tensor> ortPast = new LinkedHashMap<>(fscPast);
        List<String> lines = new ArrayList<>();
        double worst = 0;
        int checked = 0;
        try (OrtOracle ort = new OrtOracle(onnx, 1);
                CompiledModel m = ArtifactLoader.open(jar, 1)) {
            for (long p = 1; p <= MAX_PAST; p++) {
                long token = r.nextInt(20);
                if (p == 1 || p == 5 || p == MAX_PAST) {
                    // Four ids on the same past: the export reads the last one, so only it counts.
                    long[] four = {r.nextInt(20), r.nextInt(20), r.nextInt(20), token};
                    double e4 = maxAbs(ort.run(step(four, ortPast)), m.run(step(four, fscPast)), "P=" + p + " S=4");
                    lines.add(String.format(Locale.ROOT, "P=%d S=4 max-abs %.2e", p, e4));
                    worst = Math.max(worst, e4);
                    checked++;
                }
                Map<String, float[]> expected = ort.run(step(new long[] {token}, ortPast));
                Map<String, Tensor> actual = m.run(step(new long[] {token}, fscPast));
                assertArrayEquals(
                        new long[] {2, 1, 2, p + 1, 2}, actual.get("present_0").shape(), "present at P=" + p);
                double e1 = maxAbs(expected, actual, "P=" + p + " S=1");
                lines.add(String.format(Locale.ROOT, "P=%d S=1 max-abs %.2e", p, e1));
                worst = Math.max(worst, e1);
                checked++;
                fscPast = presentAsPast(actual);
                ortPast = presentAsPast(expected, p + 1);
            }
        }
        System.out.println("gpt2_past decoder loop, one jar: " + String.join("; ", lines));
        assertEquals(MAX_PAST + 3, checked);
        assertTrue(worst <= TOLERANCE, "worst max-abs " + worst + " > " + TOLERANCE + ": " + lines);
    }

    /** The export as shipped (input_ids [batch_size, 1]): one jar for every past length. */
    @Test
    void shippedExportRunsEveryPastLengthFromOneJar() throws Exception {
        Path jar = compile(model(), "gpt2");
        Random r = new Random(7);
        try (OrtOracle ort = new OrtOracle(model(), 1);
                CompiledModel m = ArtifactLoader.open(jar, 1)) {
            for (long p : new long[] {1, 5, MAX_PAST}) {
                Map<String, Tensor> past = new LinkedHashMap<>();
                for (int l = 0; l < LAYERS; l++) {
                    past.put("past_" + l, gaussian(new long[] {2, 1, 2, p, 2}, r));
                }
                Map<String, Tensor> in = step(new long[] {r.nextInt(20)}, past);
                double e = maxAbs(ort.run(in), m.run(in), "P=" + p);
                assertTrue(e <= TOLERANCE, "P=" + p + ": max-abs " + e);
            }
            // Past 17 indexes row 17 of the 8-row position table: both engines refuse it.
            Map<String, Tensor> tooLong = new LinkedHashMap<>();
            for (int l = 0; l < LAYERS; l++) {
                tooLong.put("past_" + l, gaussian(new long[] {2, 1, 2, 17, 2}, r));
            }
            Map<String, Tensor> late = step(new long[] {3}, tooLong);
            org.junit.jupiter.api.Assertions.assertThrows(ai.onnxruntime.OrtException.class, () -> ort.run(late));
            RuntimeException outOfTable =
                    org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> m.run(late));
            assertTrue(outOfTable.getMessage().contains("out of range"), outOfTable.getMessage());
            // A past of 0 positions is refused in one line, not run wrongly.
            Map<String, Tensor> empty = new LinkedHashMap<>();
            for (int l = 0; l < LAYERS; l++) {
                empty.put("past_" + l, Tensor.ofFloats(new long[] {2, 1, 2, 0, 2}));
            }
            RuntimeException ex = org.junit.jupiter.api.Assertions.assertThrows(
                    RuntimeException.class, () -> m.run(step(new long[] {3}, empty)));
            assertTrue(ex.getMessage().contains("seq_len"), ex.getMessage());
        }
    }

    /** {@code fsc run gpt2_past.onnx --input ...} as a user types it: no --shape, no --bind, no note. */
    @Test
    void fscRunOnTheOnnxFileNeedsNoShapes() throws Exception {
        Random r = new Random(3);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input_ids", Tensor.ofLongs(new long[] {1, 1}, 11));
        for (int l = 0; l < LAYERS; l++) {
            in.put("past_" + l, gaussian(new long[] {2, 1, 2, 6, 2}, r));
        }
        List<String> args = new ArrayList<>(List.of("run", model().toString(), "--quiet"));
        for (var e : in.entrySet()) {
            Path f = dir.resolve(e.getKey() + ".npy");
            Npy.write(f, e.getValue());
            args.add("--input");
            args.add(e.getKey() + "=" + f);
        }
        Path outDir = dir.resolve("out");
        args.add("--output-dir");
        args.add(outDir.toString());
        StringWriter err = new StringWriter();
        PrintStream stderr = System.err;
        ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
        int rc;
        try {
            System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
            rc = Main.execute(
                    new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args.toArray(String[]::new));
        } finally {
            System.setErr(stderr);
        }
        String errText = sysErr.toString(StandardCharsets.UTF_8) + err;
        assertEquals(0, rc, errText);
        assertFalse(errText.contains("note:"), "compiled as declared, without specialising: " + errText);
        Map<String, Tensor> actual = new LinkedHashMap<>();
        try (OrtOracle ort = new OrtOracle(model(), 1)) {
            Map<String, float[]> expected = ort.run(in);
            for (String name : expected.keySet()) {
                actual.put(name, Npy.read(outDir.resolve(name + ".npy")));
            }
            double e = maxAbs(expected, actual, "fsc run");
            assertTrue(e <= TOLERANCE, "fsc run: max-abs " + e);
        }
    }
}
