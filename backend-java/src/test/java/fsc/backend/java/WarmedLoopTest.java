package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import fsc.ir.Attr;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.passes.FusePass;
import fsc.passes.PassContext;
import fsc.runtime.kernels.VectorWarmth;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scalar twins of generated vector loops ({@link WarmedLoop}) give the vector loops' bits: a
 * fresh model class runs its first call cold (every loop's twin), then the same inputs on the call
 * after the twins' last (the vector loops), and each output must be bit-identical
 * (NaN: NaN either way), over inputs holding ±0, ±∞, NaN, subnormals, the largest floats and
 * arguments past exp's and tanh's clamps, in shapes whose element counts are not a multiple of any
 * lane count (so the scalar tail follows both forms).
 */
class WarmedLoopTest {
    @TempDir
    Path dir;

    private static final int ROWS = 7;
    private static final int COLS = 45;

    @Test
    void plainElementwiseNodesGiveTheSameBitsColdAndWarm() throws Exception {
        GraphBuilder b = new GraphBuilder("warmed_plain");
        Value x = b.input("x", f32(ROWS, COLS));
        Value z = b.input("z", f32(ROWS, COLS));
        Value bias = b.input("bias", f32(COLS));
        Value col = b.input("col", f32(ROWS, 1));
        for (String op : List.of("neg", "abs", "relu", "sqrt", "reciprocal", "exp", "tanh", "sigmoid", "silu")) {
            b.output(b.node(op, op, List.of(x), Map.of()));
        }
        for (String op : List.of("sub", "mul", "div", "max", "min")) {
            b.output(b.node(op, op, List.of(x, z), Map.of()));
        }
        // A bias row and a column: broadcast operands (a same-shape add calls AddKernel instead).
        b.output(b.node("add", "add_row", List.of(x, bias), Map.of()));
        b.output(b.node("mul", "mul_col", List.of(col, z), Map.of()));
        b.output(b.node("pow", "square", List.of(x, b.constant("two", TestGraphs.scalar(2f))), Map.of()));
        b.output(b.node("clip", "clip", List.of(x), attrs("min", new Attr.Float(-0.25), "max", new Attr.Float(0.5))));
        assertColdEqualsWarm(b.build());
    }

    @Test
    void fusedChainsGiveTheSameBitsColdAndWarm() throws Exception {
        GraphBuilder b = new GraphBuilder("warmed_fused");
        Value x = b.input("x", f32(ROWS, COLS));
        Value z = b.input("z", f32(ROWS, COLS));
        Value bias = b.input("bias", f32(COLS));
        Value col = b.input("col", f32(ROWS, 1));
        Value one = b.constant("one", TestGraphs.scalar(1f));
        Value two = b.constant("two", TestGraphs.scalar(2f));
        Value a = b.node("add", "a", List.of(x, bias), Map.of());
        Value g = b.node("sigmoid", "g", List.of(a), Map.of());
        Value sq = b.node("pow", "sq", List.of(z, two), Map.of());
        b.output(b.node("sub", "sigmoid_minus_square", List.of(g, sq), Map.of()));
        Value d = b.node("div", "d", List.of(z, col), Map.of());
        Value t = b.node("tanh", "t", List.of(d), Map.of());
        b.output(b.node("sqrt", "sqrt_abs_tanh", List.of(b.node("abs", "ab", List.of(t), Map.of())), Map.of()));
        Value e = b.node("exp", "e", List.of(b.node("neg", "nx", List.of(x), Map.of())), Map.of());
        b.output(b.node("mul", "exp_times_relu", List.of(e, b.node("relu", "r", List.of(z), Map.of())), Map.of()));
        Value s = b.node("silu", "s", List.of(b.node("max", "mx", List.of(x, z), Map.of())), Map.of());
        b.output(b.node("reciprocal", "recip", List.of(b.node("add", "s1", List.of(s, one), Map.of())), Map.of()));
        b.output(b.node("min", "min_minus", List.of(b.node("min", "mn", List.of(x, z), Map.of()), one), Map.of()));
        Graph fused = new FusePass().run(b.build(), PassContext.defaults());
        assertTrue(
                fused.nodes().stream().allMatch(n -> n.op().equals("fused")),
                fused.nodes().toString());
        assertColdEqualsWarm(fused);
    }

    private void assertColdEqualsWarm(Graph g) throws Exception {
        String source = String.join("\n", JavaBackend.sources(g, JavaBackendOptions.forModel(g.name())));
        assertTrue(source.contains("_cold("), "the vector loops have scalar twins");
        Map<String, HostTensor> in = inputs(g);
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            List<VectorWarmth> loops = warmths(h.model.getClass());
            assertFalse(loops.isEmpty(), "no VectorWarmth field in the generated class");
            assumeTrue(
                    loops.stream().noneMatch(VectorWarmth::warm),
                    "the JVM runs with -Dfsc.coldStart=false: no loop starts cold, so no twin runs");
            Map<String, HostTensor> cold = h.run(in);
            for (int call = 2; call <= WarmedLoop.TWIN_RUNS; call++) {
                h.run(in); // the twins' other calls: the next one runs the vector loops
            }
            Map<String, HostTensor> warm = h.run(in);
            assertEquals(cold.keySet(), warm.keySet());
            cold.forEach((name, c) -> {
                float[] cv = c.toFloatArray();
                float[] wv = warm.get(name).toFloatArray();
                assertEquals(cv.length, wv.length, name);
                for (int i = 0; i < cv.length; i++) {
                    boolean same = Float.isNaN(cv[i])
                            ? Float.isNaN(wv[i])
                            : Float.floatToRawIntBits(cv[i]) == Float.floatToRawIntBits(wv[i]);
                    if (!same) {
                        throw new AssertionError(name + "[" + i + "] of input "
                                + in.get("x").toFloatArray()[i] + ": cold " + cv[i] + ", warm " + wv[i]);
                    }
                }
            });
        }
    }

    private static List<VectorWarmth> warmths(Class<?> model) throws IllegalAccessException {
        List<VectorWarmth> out = new ArrayList<>();
        for (Field f : model.getDeclaredFields()) {
            if (f.getType() == VectorWarmth.class && Modifier.isStatic(f.getModifiers())) {
                f.setAccessible(true);
                out.add((VectorWarmth) f.get(null));
            }
        }
        return out;
    }

    /** Each f32 input: special values first, then Gaussians of spread 10 and occasional huge ones. */
    private static Map<String, HostTensor> inputs(Graph g) {
        float[] specials = {
            0f,
            -0f,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.NaN,
            Float.MIN_VALUE,
            -Float.MIN_VALUE,
            1e-40f,
            -1e-40f,
            Float.MIN_NORMAL,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            88.8f,
            89f,
            -104f,
            -110f,
            1e30f,
            -1e30f,
            0.625f,
            -0.625f,
            0.62499994f,
            9f,
            -9f,
            1f,
            -1f,
            2f
        };
        Random r = new Random(19);
        Map<String, HostTensor> in = new LinkedHashMap<>();
        int k = 0;
        for (Value v : g.inputs()) {
            long[] shape = v.type().dims().stream().mapToLong(d -> d.value()).toArray();
            int count = Math.toIntExact(java.util.Arrays.stream(shape).reduce(1, (p, q) -> p * q));
            float[] data = new float[count];
            for (int i = 0; i < count; i++) {
                // Shifted per input so x and z pair different specials.
                int s = i - k * 3;
                data[i] = s >= 0 && s < specials.length
                        ? specials[s]
                        : r.nextInt(20) == 0 ? (float) (r.nextGaussian() * 1e20) : (float) (r.nextGaussian() * 10);
            }
            in.put(v.name(), HostTensor.ofFloats(shape, data));
            k++;
        }
        return in;
    }
}
