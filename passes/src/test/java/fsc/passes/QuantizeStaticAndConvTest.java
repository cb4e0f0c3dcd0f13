package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Verifier;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The {@code quantize} pass with static (calibrated) activation scales and on convolutions: golden
 * IR, the interpreter's result against a hand-written scalar reference of the same integer
 * arithmetic, and {@code quant-gemm} taking a static layer's whole rescale and bias into {@code
 * matmul_int8}.
 */
class QuantizeStaticAndConvTest {
    private static final String LINEAR =
            """
            graph @linear(%x: f32[2,3,64]) -> (%y: f32[2,3,48]) {
              %w: f32[64,48] = const @"w" random(1)
              %b: f32[48] = const @"b" random(4)
              %m: f32[2,3,48] = matmul(%x, %w)
              %y: f32[2,3,48] = add(%m, %b)
              return %y
            }
            """;

    /** Odd sizes: 3 channels, 9×9, a 3×3 window at stride 2 with padding, 5 filters. */
    private static final String CONV =
            """
            graph @cnn(%x: f32[1,3,9,9]) -> (%y: f32[1,5,5,5]) {
              %w: f32[5,3,3,3] = const @"w" random(2)
              %b: f32[5] = const @"b" random(3)
              %y: f32[1,5,5,5] = conv(%x, %w, %b) {pads = [1, 1, 1, 1], strides = [2, 2]}
              return %y
            }
            """;

    private static HostTensor random(long[] shape, double scale, long seed) {
        Random r = new Random(seed);
        HostTensor t = HostTensor.zeros(DType.F32, shape);
        for (int i = 0; i < t.size(); i++) {
            t.setDouble(i, (r.nextDouble() * 2 - 1) * scale);
        }
        return t;
    }

    @Test
    void staticLinearGoldenAndReference() {
        Graph f32 = IrParser.parse(LINEAR, "linear.fsir");
        float s = 0.9f / 127; // clips the inputs above 0.9: saturation is part of the scheme
        Graph q = new QuantizePass(Precision.INT8, Map.of(), Map.of(), Map.of("x", s)).run(f32, PassContext.defaults());
        Verifier.verify(q);
        String text = IrPrinter.print(q);
        GoldenFiles.assertGolden("quantize", "int8-static", text);
        assertEquals(1, text.lines().filter(l -> l.contains("= clip(")).count(), text);
        assertEquals(0, text.lines().filter(l -> l.contains("reduce_max")).count(), "no run-time range: " + text);

        HostTensor x = random(new long[] {2, 3, 64}, 1, 5);
        HostTensor got = new Interpreter(q).run(Map.of("x", x)).get("y");
        float[] w = WeightQuantizer.floats(f32.weights().get("w"));
        float[] b = WeightQuantizer.floats(f32.weights().get("b"));
        double[] wq = WeightQuantizer.decoded(w, 64, 48, Precision.INT8);
        float[] xs = x.toFloatArray();
        for (int r = 0; r < 6; r++) {
            for (int j = 0; j < 48; j++) {
                double acc = 0;
                for (int i = 0; i < 64; i++) {
                    double xq = Math.max(-127, Math.min(127, Math.rint(xs[r * 64 + i] * (1f / s)))) * s;
                    acc += xq * wq[i * 48 + j];
                }
                double want = acc + b[j];
                assertEquals(want, got.getDouble(r * 48 + j), 1e-4 * (1 + Math.abs(want)), "y[" + r + "," + j + "]");
            }
        }

        // quant-gemm takes the rescale (activation and column scales folded into one) and the bias.
        Graph lowered = new QuantGemmPass().run(q, PassContext.of(Map.of("layout.panel", "16"), d -> {}));
        String low = IrPrinter.print(lowered);
        assertEquals(1, low.lines().filter(l -> l.contains("= matmul_int8(")).count(), low);
        assertEquals(0, low.lines().filter(l -> l.contains("= add(")).count(), "bias in the epilogue: " + low);
        HostTensor after = new Interpreter(lowered).run(Map.of("x", x)).get("y");
        assertTrue(after.maxAbsDiff(got) <= 1e-5, "lowering changed the result by " + after.maxAbsDiff(got));
    }

    @Test
    void convGoldenAndReferenceStaticAndDynamic() {
        Graph f32 = IrParser.parse(CONV, "cnn.fsir");
        assertEquals(1, QuantizePass.linearLayers(f32).size(), "the conv is a quantizable layer");
        assertEquals(27, QuantizePass.layerK(QuantizePass.linearLayers(f32).get(0)));
        HostTensor x = random(new long[] {1, 3, 9, 9}, 2, 6);
        HostTensor ref = new Interpreter(f32).run(Map.of("x", x)).get("y");
        float xmax = 0;
        for (float v : x.toFloatArray()) {
            xmax = Math.max(xmax, Math.abs(v));
        }
        for (Float s : new Float[] {xmax / 127, null}) {
            Map<String, Float> scales = s == null ? Map.of() : Map.of("x", s);
            Graph q = new QuantizePass(Precision.INT8, Map.of(), Map.of(), scales).run(f32, PassContext.defaults());
            Verifier.verify(q);
            String text = IrPrinter.print(q);
            GoldenFiles.assertGolden("quantize", s == null ? "conv-dynamic" : "conv-static", text);
            assertTrue(text.contains("i8[5,3,3,3]"), "int8 filters: " + text);
            HostTensor got = new Interpreter(q).run(Map.of("x", x)).get("y");
            double[] want = referenceConv(x.toFloatArray(), f32, xmax / 127);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got.getDouble(i), 1e-4 * (1 + Math.abs(want[i])), "y[" + i + "]");
            }
            assertTrue(QuantizePassTest.cosine(got, ref) > 0.9995, "vs f32: " + QuantizePassTest.cosine(got, ref));
        }
        Graph int4 = new QuantizePass(Precision.INT4).run(f32, PassContext.defaults());
        assertEquals(List.of("conv"), int4.nodes().stream().map(n -> n.op()).toList(), "int4 leaves a conv f32");
    }

    /**
     * The int8 conv by hand: x rounded to steps of s, each filter rounded to steps of its max / 127,
     * summed in double, plus the bias. Padding 1, stride 2.
     */
    private static double[] referenceConv(float[] x, Graph g, float s) {
        float[] w = WeightQuantizer.floats(g.weights().get("w"));
        float[] b = WeightQuantizer.floats(g.weights().get("b"));
        double[] out = new double[5 * 5 * 5];
        for (int m = 0; m < 5; m++) {
            float max = 0;
            for (int i = 0; i < 27; i++) {
                max = Math.max(max, Math.abs(w[m * 27 + i]));
            }
            float sw = max / 127f;
            for (int oy = 0; oy < 5; oy++) {
                for (int ox = 0; ox < 5; ox++) {
                    double acc = 0;
                    for (int c = 0; c < 3; c++) {
                        for (int ky = 0; ky < 3; ky++) {
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = oy * 2 - 1 + ky;
                                int ix = ox * 2 - 1 + kx;
                                if (iy < 0 || ix < 0 || iy >= 9 || ix >= 9) {
                                    continue;
                                }
                                double xq = Math.max(-127, Math.min(127, Math.rint(x[c * 81 + iy * 9 + ix] / s)));
                                double wq = WeightQuantizer.int8(w[m * 27 + c * 9 + ky * 3 + kx], sw);
                                acc += xq * wq;
                            }
                        }
                    }
                    out[m * 25 + oy * 5 + ox] = acc * s * sw + b[m];
                }
            }
        }
        return out;
    }
}
