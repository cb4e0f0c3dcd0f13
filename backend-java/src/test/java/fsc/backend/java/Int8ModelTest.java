package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.passes.PassContext;
import fsc.passes.PlanMemoryPass;
import fsc.passes.QuantGemmPass;
import fsc.runtime.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The int8 path end to end: a graph in the form the ONNX frontend imports (DynamicQuantizeLinear as
 * element-wise ops, MatMulInteger as an i32 matmul of centred operands, then the rescale), lowered by
 * {@code quant-gemm} onto {@code dynamic_quantize} and {@code matmul_int8}, compiled, and compared with
 * the reference interpreter running the original graph; then the compiled model's steady state.
 */
class Int8ModelTest {
    @TempDir
    Path dir;

    private static final int K = 70;
    private static final int N = 45;

    @Test
    void loweredModelMatchesTheInterpreterOnTheImportedForm() throws Exception {
        Graph original = importedForm();
        Graph lowered = lower(original);
        List<String> ops = lowered.nodes().stream().map(Node::op).toList();
        assertEquals(1, ops.stream().filter("dynamic_quantize"::equals).count(), ops.toString());
        assertEquals(2, ops.stream().filter("matmul_int8"::equals).count(), ops.toString());
        assertTrue(!ops.contains("matmul") && !ops.contains("round"), ops.toString());
        // a_scale · w_scale goes into the kernel's epilogue: no per-call mul node is left.
        assertTrue(!ops.contains("mul"), ops.toString());
        for (int threads : new int[] {1, 2}) {
            Path out = java.nio.file.Files.createDirectories(dir.resolve("t" + threads));
            try (ModelHarness h = ModelHarness.compile(lowered, out, threads)) {
                for (long seed = 1; seed <= 3; seed++) {
                    Map<String, HostTensor> in = inputs(seed);
                    Map<String, HostTensor> want = new Interpreter(original).run(in);
                    Map<String, HostTensor> got = h.run(in);
                    // Same quantized bytes, exact int32 sums, the rescale in the graph's order: equal.
                    assertEquals(0.0, want.get("acc2").maxAbsDiff(got.get("acc2")), "int32 output, seed " + seed);
                    assertEquals(0.0, want.get("y").maxAbsDiff(got.get("y")), "rescaled output, seed " + seed);
                }
            }
        }
    }

    /** 100 calls after warm-up allocate at most a few KB (see {@link SteadyStateTest}). */
    @Test
    void steadyStateAllocatesNothing() throws Exception {
        try (ModelHarness h = ModelHarness.compile(lower(importedForm()), dir, 1)) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            inputs(9).forEach((k, v) -> in.put(k, ModelHarness.toTensor(v)));
            SteadyAllocation.assertSteady("int8 model", h, in, 1, dir);
        }
    }

    private static Graph lower(Graph g) {
        return new PlanMemoryPass().run(new QuantGemmPass().run(g, PassContext.defaults()), PassContext.defaults());
    }

    private static Map<String, HostTensor> inputs(long seed) {
        Random r = new Random(seed);
        HostTensor x = HostTensor.zeros(DType.F32, new long[] {2, 7, K});
        for (int i = 0; i < x.size(); i++) {
            x.setDouble(i, r.nextGaussian() * 2 + 0.3);
        }
        return Map.of("x", x);
    }

    /** x f32[2,7,K] → DynamicQuantizeLinear → two MatMulIntegers: one rescaled with bias (y), one raw (acc2). */
    static Graph importedForm() {
        GraphBuilder b = new GraphBuilder("int8_mlp");
        Value x = b.input("x", TestGraphs.f32(2, 7, K));
        Value zero = b.constant("zero", TestGraphs.scalar(0));
        Value qmax = b.constant("qmax", TestGraphs.scalar(255));
        Map<String, Attr> all = Map.of("axes", Attr.ints(0, 1, 2), "keepdims", new Attr.Int(0));
        Value lo = bin(b, "min", b.node("reduce_min", "rmin", List.of(x), all), zero, "lo");
        Value hi = bin(b, "max", b.node("reduce_max", "rmax", List.of(x), all), zero, "hi");
        Value scale = bin(b, "div", bin(b, "sub", hi, lo, "range"), qmax, "scale");
        Value zpR = b.node(
                "round",
                "zp_rounded",
                List.of(b.node("neg", "neg_lo", List.of(bin(b, "div", lo, scale, "lo_scaled")), Map.of())),
                Map.of());
        Value zpF = bin(b, "min", bin(b, "max", zpR, zero, "zp_low"), qmax, "zp_clipped");
        Value rounded = b.node("round", "rounded", List.of(bin(b, "div", x, scale, "scaled")), Map.of());
        Value sat = bin(b, "min", bin(b, "max", bin(b, "add", rounded, zpF, "shifted"), zero, "sat_low"), qmax, "sat");
        Value q = cast(b, sat, DType.U8, "q");
        Value zp = cast(b, zpF, DType.U8, "zp");
        Value ac = bin(b, "sub", cast(b, q, DType.I32, "q_i32"), cast(b, zp, DType.I32, "zp_i32"), "a_centered");
        Random r = new Random(5);
        // w1: s8 columns and u8-minus-zero-point columns (span 256 beyond s8: needs an offset).
        long[] w1 = new long[K * N];
        long[] w2 = new long[K * N];
        for (int i = 0; i < w1.length; i++) {
            int col = i % N;
            w1[i] = col % 3 == 0 ? r.nextInt(256) - 128 : r.nextInt(256) - (col % 5) * 10;
            w2[i] = r.nextInt(256) - 200;
        }
        Value wc1 = b.constant(
                "w1", HostTensor.ofInts(DType.I32, new long[] {K, N}, w1).toWeight());
        Value wc2 = b.constant(
                "w2", HostTensor.ofInts(DType.I32, new long[] {K, N}, w2).toWeight());
        float[] ws = new float[N];
        float[] bias = new float[N];
        for (int j = 0; j < N; j++) {
            ws[j] = 1e-3f * (1 + r.nextFloat());
            bias[j] = r.nextFloat() - 0.5f;
        }
        Value wScale =
                b.constant("w_scale", HostTensor.ofFloats(new long[] {N}, ws).toWeight());
        Value biasC =
                b.constant("bias", HostTensor.ofFloats(new long[] {N}, bias).toWeight());
        Value acc = bin(b, "matmul", ac, wc1, "acc");
        Value scales = bin(b, "mul", scale, wScale, "scales");
        Value y = bin(b, "add", bin(b, "mul", cast(b, acc, DType.F32, "acc_f32"), scales, "scaled_acc"), biasC, "y");
        Value acc2 = bin(b, "matmul", ac, wc2, "acc2");
        return b.output(y).output(acc2).build();
    }

    private static Value bin(GraphBuilder b, String op, Value l, Value r, String name) {
        return b.node(op, name, List.of(l, r), Map.of());
    }

    private static Value cast(GraphBuilder b, Value v, DType to, String name) {
        return b.node("cast", name, List.of(v), Map.of("to", new Attr.Type(to)));
    }
}
