package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Verifier;
import fsc.ir.WeightData;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The {@code quantize} pass: golden IR for int8 and int4 (expected files under {@code
 * src/test/resources/quantize/}), and numbers: the quantized graph in the reference interpreter
 * equals a hand-written reference of the same arithmetic, stays close to the f32 graph, and {@code
 * quant-gemm} lowers the int8 form onto {@code matmul_int8} without changing a bit.
 */
class QuantizePassTest {

    /** Q, K-like: two layers read one activation (quantized once), K = 64 (two Q4_0 blocks), plus one K = 40. */
    private static final String MODEL =
            """
            graph @linear(%x: f32[2,3,64]) -> (%y: f32[2,3,48], %z: f32[2,3,16], %u: f32[2,3,8]) {
              %w: f32[64,48] = const @"w" random(1)
              %v: f32[64,16] = const @"v" random(2)
              %t: f32[16,8] = const @"t" random(3)
              %b: f32[48] = const @"b" random(4)
              %m: f32[2,3,48] = matmul(%x, %w)
              %y: f32[2,3,48] = add(%b, %m)
              %z: f32[2,3,16] = matmul(%x, %v)
              %u: f32[2,3,8] = matmul(%z, %t)
              return %y, %z, %u
            }
            """;

    private static Graph model() {
        return IrParser.parse(MODEL, "linear.fsir");
    }

    private static Map<String, HostTensor> inputs() {
        Random r = new Random(7);
        HostTensor x = HostTensor.zeros(fsc.ir.DType.F32, new long[] {2, 3, 64});
        for (int i = 0; i < x.size(); i++) {
            // One large channel, as encoder activations have: what per-row scales and smoothing are for.
            x.setDouble(i, (r.nextDouble() * 2 - 1) * (i % 64 == 5 ? 20 : 1));
        }
        return Map.of("x", x);
    }

    @Test
    void int8Golden() {
        Graph out = new QuantizePass(Precision.INT8).run(model(), PassContext.defaults());
        Verifier.verify(out);
        GoldenFiles.assertGolden("quantize", "int8", IrPrinter.print(out));
    }

    @Test
    void int4GoldenKeepsALayerWhoseKIsNotAMultipleOf32() {
        Graph out = new QuantizePass(Precision.INT4).run(model(), PassContext.defaults());
        Verifier.verify(out);
        String text = IrPrinter.print(out);
        GoldenFiles.assertGolden("quantize", "int4", text);
        assertEquals(2, text.lines().filter(l -> l.contains("= qmatmul(")).count(), text);
        assertTrue(text.contains("%u: f32[2,3,8] = matmul(%z, %t)"), "K = 16 stays f32: " + text);
    }

    @Test
    void int8MatchesAHandWrittenReferenceAndStaysCloseToF32() {
        Graph f32 = model();
        Graph q = new QuantizePass(Precision.INT8).run(f32, PassContext.defaults());
        Map<String, HostTensor> in = inputs();
        HostTensor got = new Interpreter(q).run(in).get("z");
        HostTensor ref = new Interpreter(f32).run(in).get("z");
        // Reference: x rounded to i8 per row of 64, v to int8 per column, products summed exactly.
        float[] x = in.get("x").toFloatArray();
        float[] v = WeightQuantizer.floats(f32.weights().get("v"));
        WeightData[] q8 = WeightQuantizer.int8PerColumn(v, 64, 16);
        ByteBuffer codes = q8[0].view();
        ByteBuffer scales = q8[1].view();
        for (int r = 0; r < 6; r++) {
            float max = 0;
            for (int k = 0; k < 64; k++) {
                max = Math.max(max, Math.abs(x[r * 64 + k]));
            }
            float s = max / 127f;
            for (int j = 0; j < 16; j++) {
                long acc = 0;
                for (int k = 0; k < 64; k++) {
                    acc += (long) Math.rint(x[r * 64 + k] / s) * codes.getInt((k * 16 + j) * 4);
                }
                float expected = (float) acc * scales.getFloat(j * 4) * s;
                assertEquals(
                        expected,
                        got.getDouble(r * 16 + j),
                        1e-5 * Math.abs(expected) + 1e-6,
                        "z[" + r + "," + j + "]");
            }
        }
        assertTrue(cosine(got, ref) > 0.999, "int8 vs f32 cosine " + cosine(got, ref));
    }

    @Test
    void quantGemmLowersTheInt8FormWithoutChangingTheResult() {
        Graph q = new QuantizePass(Precision.INT8).run(model(), PassContext.defaults());
        Graph lowered = new QuantGemmPass().run(q, PassContext.of(Map.of("layout.panel", "16"), d -> {}));
        Verifier.verify(lowered);
        String text = IrPrinter.print(lowered);
        assertEquals(3, text.lines().filter(l -> l.contains("= matmul_int8(")).count(), text);
        assertEquals(0, text.lines().filter(l -> l.contains("= matmul(")).count(), text);
        // The per-token row scales and the bias after them ride in the kernel: no mul or add is left.
        assertEquals(3, text.lines().filter(l -> l.contains("row_scale = 1")).count(), text);
        assertEquals(
                0,
                text.lines()
                        .filter(l -> l.contains("= mul(") || l.contains("= add("))
                        .count(),
                text);
        Map<String, HostTensor> in = inputs();
        Map<String, HostTensor> a = new Interpreter(q).run(in);
        Map<String, HostTensor> b = new Interpreter(lowered).run(in);
        for (String out : List.of("y", "z", "u")) {
            assertTrue(
                    a.get(out).maxAbsDiff(b.get(out)) == 0,
                    out + ": " + a.get(out).maxAbsDiff(b.get(out)));
        }
    }

    @Test
    void smoothingMovesAnOutlierChannelIntoTheWeightsAndHelps() {
        Graph f32 = model();
        Map<String, HostTensor> in = inputs();
        float[] x = in.get("x").toFloatArray();
        float[] max = new float[64];
        for (int i = 0; i < x.length; i++) {
            max[i % 64] = Math.max(max[i % 64], Math.abs(x[i]));
        }
        Graph plain = new QuantizePass(Precision.INT8).run(f32, PassContext.defaults());
        Graph smooth = new QuantizePass(Precision.INT8, Map.of(), Map.of("x", max)).run(f32, PassContext.defaults());
        String text = IrPrinter.print(smooth);
        assertTrue(text.contains("= dynamic_quantize_rows(%x, %x_smooth)"), text);
        HostTensor ref = new Interpreter(f32).run(in).get("y");
        double p = cosine(new Interpreter(plain).run(in).get("y"), ref);
        double s = cosine(new Interpreter(smooth).run(in).get("y"), ref);
        assertTrue(1 - s < 1 - p, "smoothing should cut the error: plain " + p + ", smoothed " + s);
    }

    @Test
    void perLayerAssignmentLeavesFp32LayersAlone() {
        Graph out = new QuantizePass(Precision.FP32, Map.of("m", Precision.INT8, "u", Precision.INT4))
                .run(model(), PassContext.defaults());
        List<String> ops = out.nodes().stream().map(Node::op).toList();
        // u has K = 16: it cannot be int4 and stays f32; z was not named and stays f32.
        assertEquals(3, ops.stream().filter(o -> o.equals("matmul")).count(), ops.toString());
        assertEquals(
                1,
                out.nodes().stream()
                        .filter(n -> n.op().equals("matmul") && n.output().dtype() == fsc.ir.DType.I32)
                        .count());
        assertTrue(IrPrinter.print(out).contains("%z: f32[2,3,16] = matmul(%x, %v)"));
    }

    @Test
    void registeredAndRunByNameAsInt8() {
        Graph out = PassRegistry.byName("quantize").run(model(), PassContext.defaults());
        // x (read by two layers) and z are each quantized once.
        assertEquals(
                2,
                out.nodes().stream()
                        .filter(n -> n.op().equals("dynamic_quantize_rows"))
                        .count());
        Graph int4 = PassRegistry.byName("quantize")
                .run(model(), PassContext.of(Map.of(QuantizePass.OPTION, "int4"), d -> {}));
        assertEquals(
                2, int4.nodes().stream().filter(n -> n.op().equals("qmatmul")).count());
    }

    static double cosine(HostTensor a, HostTensor b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.size(); i++) {
            dot += a.getDouble(i) * b.getDouble(i);
            na += a.getDouble(i) * a.getDouble(i);
            nb += b.getDouble(i) * b.getDouble(i);
        }
        return dot / Math.sqrt(na * nb);
    }
}
