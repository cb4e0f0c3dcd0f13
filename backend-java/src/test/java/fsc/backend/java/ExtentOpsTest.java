package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static fsc.backend.java.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.runtime.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nonzero, unique and non_max_suppression: outputs sized by the data within a compile-time bound.
 * The generated code must agree with the interpreter in values and in shape, and ops after them must
 * read the extent the node set (not the bound), across calls whose extents differ.
 */
class ExtentOpsTest {
    @TempDir
    Path dir;

    /** x with about {@code zeros} of its elements set to 0 (exact zeros, and -0.0 too). */
    private static HostTensor sparse(long[] shape, double zeros, long seed) {
        Random r = new Random(seed);
        HostTensor t = HostTensor.zeros(DType.F32, shape);
        for (int i = 0; i < t.size(); i++) {
            double u = r.nextDouble();
            t.setDouble(i, u < zeros ? (u < zeros / 2 ? 0.0 : -0.0) : r.nextGaussian());
        }
        return t;
    }

    /** Small integers, so Unique finds repeats. */
    private static HostTensor smallInts(DType type, long[] shape, int range, long seed) {
        Random r = new Random(seed);
        HostTensor t = HostTensor.zeros(type, shape);
        for (int i = 0; i < t.size(); i++) {
            t.setDouble(i, r.nextInt(range) - range / 2);
        }
        return t;
    }

    private static void assertSameOutputs(ModelHarness h, Graph g, Map<String, HostTensor> in) {
        Map<String, HostTensor> expected = new Interpreter(g).run(in);
        Map<String, HostTensor> actual = h.run(in);
        expected.forEach((name, e) -> {
            HostTensor a = actual.get(name);
            assertArrayEquals(e.shape(), a.shape(), name);
            assertEquals(e.dtype(), a.dtype(), name);
            assertEquals(0.0, e.maxAbsDiff(a), () -> name + ": " + e + " vs " + a);
        });
    }

    @Test
    void nonzeroOverASymbolicInputFeedsLaterOpsItsCount() throws Exception {
        GraphBuilder b = new GraphBuilder("nonzero").symbol("S", 16).symbol("n_nz", 16 * 7);
        Value x = b.input("x", f32("S", 7));
        Value nz = b.node("nonzero", "nz", List.of(x), attrs("extent", new Attr.Str("n_nz")));
        // Later ops see [2, n]: a transpose to [n, 2] and an element-wise op over it.
        Value t = b.node("transpose", "t", List.of(nz), attrs("perm", Attr.ints(1, 0)));
        b.output(nz);
        b.output(b.node("add", "shifted", List.of(t, t), Map.of()));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            // Different S and different densities per call, so the extent changes between calls.
            assertSameOutputs(h, g, Map.of("x", sparse(new long[] {5, 7}, 0.6, 1)));
            assertSameOutputs(h, g, Map.of("x", sparse(new long[] {16, 7}, 0.1, 2)));
            assertSameOutputs(h, g, Map.of("x", sparse(new long[] {3, 7}, 1.0, 3)));
            assertSameOutputs(h, g, Map.of("x", sparse(new long[] {3, 7}, 0.0, 4)));
        }
        // fsc profile binds symbols from the inputs only: costs are written at the extent's bound.
        try (var jar = new java.util.jar.JarFile(dir.resolve("nonzero.jar").toFile())) {
            String nodes = new String(
                    jar.getInputStream(jar.getEntry("fsc/nodes.json")).readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8);
            String costs = nodes.replaceAll("\"output\": \"[^\"]*\"", "");
            assertTrue(!costs.contains("n_nz") && costs.contains("\"S\""), nodes);
        }
    }

    @Test
    void uniqueSortedAndUnsortedWithAndWithoutAxis() throws Exception {
        GraphBuilder b = new GraphBuilder("unique")
                .symbol("u_flat", 105)
                .symbol("u_first", 105)
                .symbol("u_rows", 7)
                .symbol("u_cols", 5);
        Value x = b.input("x", type(DType.I64, 7, 3, 5));
        Value f = b.input("f", f32(7, 2));
        List<String> names = List.of("y", "indices", "inverse", "counts");
        for (var c : List.of(
                new Object[] {"flat", x, 1, null},
                new Object[] {"first", x, 0, null},
                new Object[] {"rows", f, 1, 0L},
                new Object[] {"cols", x, 0, -1L})) {
            String tag = (String) c[0];
            var a = new java.util.TreeMap<String, Attr>();
            a.put("extent", new Attr.Str("u_" + tag));
            a.put("sorted", new Attr.Int((Integer) c[2]));
            if (c[3] != null) {
                a.put("axis", new Attr.Int((Long) c[3]));
            }
            List<Value> outs = b.node(
                    "unique",
                    tag,
                    List.of((Value) c[1]),
                    a,
                    names.stream().map(n -> tag + "_" + n).toList());
            outs.forEach(b::output);
        }
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            for (int seed = 0; seed < 3; seed++) {
                HostTensor rows = smallInts(DType.F32, new long[] {7, 2}, 3, 10 + seed);
                HostTensor xs = smallInts(DType.I64, new long[] {7, 3, 5}, 4 + 3 * seed, 20 + seed);
                // Repeat the first column in the last, so axis -1 has a duplicate slice.
                for (int i = 0; i < 21; i++) {
                    xs.setLong(i * 5L + 4, xs.getLong(i * 5L));
                }
                Map<String, HostTensor> in = new LinkedHashMap<>();
                in.put("x", xs);
                in.put("f", rows);
                assertSameOutputs(h, g, in);
            }
        }
    }

    @Test
    void uniqueMatchesTheOnnxExample() {
        GraphBuilder b = new GraphBuilder("example").symbol("u", 6);
        Value x = b.input("x", f32(6));
        var a = new java.util.TreeMap<String, Attr>(Map.of("extent", new Attr.Str("u"), "sorted", new Attr.Int(0)));
        b.node("unique", "u", List.of(x), a, List.of("y", "i", "inv", "c")).forEach(b::output);
        Map<String, HostTensor> out =
                new Interpreter(b.build()).run(Map.of("x", HostTensor.ofFloats(new long[] {6}, 2, 1, 1, 3, 4, 3)));
        assertArrayEquals(new float[] {2, 1, 3, 4}, out.get("y").toFloatArray());
        assertArrayEquals(new long[] {0, 1, 3, 4}, out.get("i").toLongArray());
        assertArrayEquals(new long[] {0, 1, 1, 2, 3, 2}, out.get("inv").toLongArray());
        assertArrayEquals(new long[] {1, 2, 2, 1}, out.get("c").toLongArray());
    }

    private static Graph nms(int center, boolean scoreThreshold) {
        GraphBuilder b = new GraphBuilder("nms").symbol("sel", 2 * 3 * 17);
        Value boxes = b.input("boxes", f32(2, 17, 4));
        Value scores = b.input("scores", f32(2, 3, 17));
        Value max = b.input("max", type(DType.I64, 1));
        Value iou = b.input("iou", f32(1));
        List<Value> in = new java.util.ArrayList<>(List.of(boxes, scores, max, iou));
        if (scoreThreshold) {
            in.add(b.input("score", f32(1)));
        }
        b.output(b.node(
                "non_max_suppression",
                "nms",
                in,
                attrs("extent", new Attr.Str("sel"), "center_point_box", new Attr.Int(center))));
        return b.build();
    }

    @Test
    void nonMaxSuppressionInBothBoxFormats() throws Exception {
        for (int center = 0; center <= 1; center++) {
            for (boolean withScore : new boolean[] {false, true}) {
                Graph g = nms(center, withScore);
                Path jarDir = java.nio.file.Files.createDirectories(dir.resolve("c" + center + withScore));
                try (ModelHarness h = ModelHarness.compile(g, jarDir, 1)) {
                    for (int seed = 0; seed < 3; seed++) {
                        Random r = new Random(seed);
                        HostTensor boxes = HostTensor.zeros(DType.F32, new long[] {2, 17, 4});
                        for (int i = 0; i < boxes.size(); i++) {
                            // Clustered boxes overlap; some corners come flipped.
                            boxes.setDouble(i, r.nextInt(4) + r.nextDouble());
                        }
                        HostTensor scores = HostTensor.zeros(DType.F32, new long[] {2, 3, 17});
                        for (int i = 0; i < scores.size(); i++) {
                            // Repeated scores exercise the tie order.
                            scores.setDouble(i, r.nextInt(10) / 10.0);
                        }
                        Map<String, HostTensor> in = new LinkedHashMap<>();
                        in.put("boxes", boxes);
                        in.put("scores", scores);
                        in.put("max", HostTensor.ofLongs(new long[] {1}, 1 + seed * 3L));
                        in.put("iou", HostTensor.ofFloats(new long[] {1}, 0.2f + 0.2f * seed));
                        if (withScore) {
                            in.put("score", HostTensor.ofFloats(new long[] {1}, 0.35f));
                        }
                        assertSameOutputs(h, g, in);
                    }
                }
            }
        }
    }

    @Test
    void steadyStateCallsAllocateNothing() throws Exception {
        Graph g = nms(0, true);
        Path jarDir = dir.resolve("steady");
        java.nio.file.Files.createDirectories(jarDir);
        try (ModelHarness h = ModelHarness.compile(g, jarDir, 1)) {
            Random r = new Random(3);
            Map<String, Tensor> in = new LinkedHashMap<>();
            HostTensor boxes = HostTensor.zeros(DType.F32, new long[] {2, 17, 4});
            for (int i = 0; i < boxes.size(); i++) {
                boxes.setDouble(i, r.nextInt(4) + r.nextDouble());
            }
            HostTensor scores = HostTensor.zeros(DType.F32, new long[] {2, 3, 17});
            for (int i = 0; i < scores.size(); i++) {
                scores.setDouble(i, r.nextDouble());
            }
            in.put("boxes", ModelHarness.toTensor(boxes));
            in.put("scores", ModelHarness.toTensor(scores));
            in.put("max", ModelHarness.toTensor(HostTensor.ofLongs(new long[] {1}, 4)));
            in.put("iou", ModelHarness.toTensor(HostTensor.ofFloats(new long[] {1}, 0.4f)));
            in.put("score", ModelHarness.toTensor(HostTensor.ofFloats(new long[] {1}, 0.2f)));
            SteadyAllocation.assertSteady("non-max suppression", h, in, 1, jarDir);
        }
    }
}
