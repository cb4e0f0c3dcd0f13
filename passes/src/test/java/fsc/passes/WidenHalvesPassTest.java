package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Verifier;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WidenHalvesPassTest {

    private static final String SOFTMAX =
            """
            graph @m(%x: f16[2,3]) -> (%y: f16[2,3]) {
              %y: f16[2,3] = softmax(%x) {axis = -1}
              return %y
            }
            """;

    @Test
    void aBackendWithAHalfKernelKeepsTheNode() {
        Graph in = IrParser.parse(SOFTMAX, "softmax.fsir");
        Graph out = new WidenHalvesPass(n -> n.op().equals("softmax")).run(in, PassContext.defaults());
        assertSame(in, out);
    }

    @Test
    void widensWhereTheBackendHasNoKernelAndSaysSo() {
        Graph in = IrParser.parse(SOFTMAX, "softmax.fsir");
        List<Diagnostic> notes = new ArrayList<>();
        Graph out = new WidenHalvesPass(n -> false).run(in, PassContext.of(Map.of(), notes::add));
        Verifier.verify(out);
        String text = IrPrinter.print(out);
        assertTrue(text.contains("%y_f32: f32[2,3] = softmax(%x_f32) {axis = -1}"), text);
        assertEquals(
                "widened 1 nodes to f32 with 2 casts and 0 f32 constants",
                notes.getFirst().message());
    }

    @Test
    void widenedSoftmaxRoundsTheF32ResultToNearestHalf() {
        Graph in = IrParser.parse(SOFTMAX, "softmax.fsir");
        Graph out = new WidenHalvesPass().run(in, PassContext.defaults());
        float[] x = {0.1f, 0.2f, 0.7f, -1.5f, 0f, 2.25f};
        HostTensor feed = HostTensor.zeros(DType.F16, new long[] {2, 3});
        for (int i = 0; i < x.length; i++) {
            feed.setDouble(i, x[i]);
        }
        HostTensor y = new Interpreter(out).run(Map.of("x", feed)).get("y");
        assertEquals(DType.F16, y.dtype());
        for (int r = 0; r < 2; r++) {
            double sum = 0;
            for (int j = 0; j < 3; j++) {
                sum += Math.exp(Float.float16ToFloat(Float.floatToFloat16(x[3 * r + j])));
            }
            for (int j = 0; j < 3; j++) {
                double e = Math.exp(Float.float16ToFloat(Float.floatToFloat16(x[3 * r + j]))) / sum;
                float want = Float.float16ToFloat(Float.floatToFloat16((float) e));
                float got = (float) y.getDouble(3 * r + j);
                // Within one f16 step of the exact softmax (the f32 sums round differently from
                // double ones), and a value f16 holds.
                float step = Math.scalb(1f, Math.getExponent(want) - 10);
                assertEquals(want, got, step, "row " + r + " column " + j);
                assertEquals(got, Float.float16ToFloat(Float.floatToFloat16(got)));
            }
        }
    }

    @Test
    void aChainOfWidenedNodesRoundsOnceAtTheEnd() {
        Graph in = IrParser.parse(
                """
                graph @m(%q: f16[2,4], %k: f16[4,2]) -> (%y: f16[2,4]) {
                  %s: f16[2,2] = matmul(%q, %k)
                  %p: f16[2,2] = softmax(%s) {axis = -1}
                  %y: f16[2,4] = matmul(%p, %q)
                  return %y
                }
                """,
                "chain.fsir");
        Graph out = new WidenHalvesPass().run(in, PassContext.defaults());
        Verifier.verify(out);
        String text = IrPrinter.print(out);
        assertTrue(text.contains("%p_f32: f32[2,2] = softmax(%s_f32)"), text);
        assertTrue(text.contains("%y_f32: f32[2,4] = matmul(%p_f32, %q_f32)"), text);
        // Two casts up (q once, k), one back (y); the scores and weights stay f32.
        assertEquals(3, out.nodes().stream().filter(n -> n.op().equals("cast")).count(), text);
    }

    @Test
    void aBf16ElementwiseChainRoundsOnceWherePerOpRoundingDrifts() {
        // celu's shape: relu(x) + (exp(x) - 1) * alpha, with the constants in bf16.
        Graph in = IrParser.parse(
                """
                graph @m(%x: bf16[4]) -> (%y: bf16[4]) {
                  %one: bf16[] = const @"one" [1.0]
                  %alpha: bf16[] = const @"alpha" [0.75]
                  %e: bf16[4] = exp(%x)
                  %em1: bf16[4] = sub(%e, %one)
                  %t: bf16[4] = mul(%em1, %alpha)
                  %r: bf16[4] = relu(%x)
                  %y: bf16[4] = add(%r, %t)
                  return %y
                }
                """,
                "celu.fsir");
        Graph out = new WidenHalvesPass().run(in, PassContext.defaults());
        Verifier.verify(out);
        float[] x = {-0.59375f, -1.25f, 0.3125f, -0.0703125f};
        HostTensor feed = HostTensor.zeros(DType.BF16, new long[] {4});
        HostTensor once = HostTensor.zeros(DType.BF16, new long[] {4});
        for (int i = 0; i < x.length; i++) {
            feed.setDouble(i, x[i]);
            once.setDouble(i, (float) (Math.max(x[i], 0) + (Math.exp(x[i]) - 1) * 0.75));
        }
        HostTensor perOp = new Interpreter(in).run(Map.of("x", feed)).get("y");
        HostTensor widened = new Interpreter(out).run(Map.of("x", feed)).get("y");
        assertEquals(0.0, widened.maxAbsDiff(once), "widened: " + widened + ", rounded once: " + once);
        assertTrue(perOp.maxAbsDiff(once) > 0, "these inputs drift when rounded per op: " + perOp);
    }

    @Test
    void aHalfWeightOnlyWidenedNodesReadIsConvertedOnceAndDropped() {
        Graph in = IrParser.parse(
                """
                graph @m(%x: f16[1,2]) -> (%y: f16[1,2]) {
                  %w: f16[2,2] = const @"w" [0.5, -1.25, 3.0, 0.099975586]
                  %y: f16[1,2] = matmul(%x, %w)
                  return %y
                }
                """,
                "weight.fsir");
        Graph out = new WidenHalvesPass().run(in, PassContext.defaults());
        Verifier.verify(out);
        assertEquals(List.of("w.f32"), List.copyOf(out.weights().byName().keySet()));
        HostTensor w = HostTensor.fromWeight(out.weights().get("w.f32"));
        assertEquals(DType.F32, w.dtype());
        // Exact: 0.099975586 is the f16 nearest 0.1, and f32 holds it as it is.
        assertEquals(
                List.of(0.5, -1.25, 3.0, (double) Float.float16ToFloat(Float.floatToFloat16(0.1f))),
                List.of(w.getDouble(0), w.getDouble(1), w.getDouble(2), w.getDouble(3)));
    }

    @Test
    void onlyTheCpuPipelineWidens() {
        assertTrue(Pipelines.cpuDefault().stream().anyMatch(p -> p instanceof WidenHalvesPass));
        assertFalse(Pipelines.cudaDefault(FusionRules.DEFAULT).stream().anyMatch(p -> p instanceof WidenHalvesPass));
    }
}
