package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The quantize pass's weight encodings, against their definitions (odd sizes, zero columns, block layout). */
class WeightQuantizerTest {

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) r.nextGaussian();
        }
        return w;
    }

    @Test
    void int8PerColumnIsSymmetricAndUsesTheFullRange() {
        int k = 37;
        int n = 11;
        float[] w = random(k * n, 1);
        for (int i = 0; i < k; i++) {
            w[i * n + 3] = 0; // an all-zero column: scale 0, codes 0
        }
        WeightData[] q = WeightQuantizer.int8PerColumn(w, k, n);
        assertEquals(DType.I32, q[0].dtype());
        assertEquals(List.of((long) k, (long) n), q[0].dims());
        ByteBuffer codes = q[0].view();
        ByteBuffer scales = q[1].view();
        for (int j = 0; j < n; j++) {
            float s = scales.getFloat(j * 4);
            int maxCode = 0;
            for (int i = 0; i < k; i++) {
                int c = codes.getInt((i * n + j) * 4);
                assertTrue(c >= -127 && c <= 127, "code " + c);
                maxCode = Math.max(maxCode, Math.abs(c));
                assertEquals(w[i * n + j], c * s, s / 2 + 1e-7, "w[" + i + "," + j + "]");
            }
            assertEquals(j == 3 ? 0 : 127, maxCode, "column " + j);
        }
    }

    @Test
    void q4_0BlocksFollowGgmlsLayoutAndRoundWithinHalfAStep() {
        int k = 96;
        int n = 5;
        float[] w = random(k * n, 2);
        WeightData q = WeightQuantizer.q4_0Transposed(w, k, n);
        assertEquals(DType.Q4_0, q.dtype());
        assertEquals(List.of((long) n, (long) k), q.dims());
        assertEquals(n * (k / 32) * 18, q.bytes().remaining());
        ByteBuffer b = q.view();
        for (int j = 0; j < n; j++) {
            for (int blk = 0; blk < k / 32; blk++) {
                int at = (j * (k / 32) + blk) * 18;
                float d = Float.float16ToFloat(b.getShort(at));
                for (int e = 0; e < 32; e++) {
                    int i = blk * 32 + e;
                    int byteVal = b.get(at + 2 + e % 16) & 0xff;
                    int nib = e < 16 ? byteVal & 0xf : byteVal >>> 4;
                    float decoded = (nib - 8) * d;
                    assertEquals(decoded, WeightQuantizer.q4_0Value(q, j, i), 0f);
                    // Within half a step, or clamped at the block's extreme when the scale search shrank d.
                    float err = Math.abs(w[i * n + j] - decoded);
                    assertTrue(err <= Math.abs(d) / 2 + 1e-6 || nib == 0 || nib == 15, "error " + err + " d " + d);
                }
            }
        }
    }

    @Test
    void q4_0ScaleSearchIsNeverWorseThanGgmlsRule() {
        float[] x = random(32, 3);
        ByteBuffer out = ByteBuffer.allocate(18).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        WeightQuantizer.q4_0Block(x, out, 0);
        float amax = 0;
        float max = 0;
        for (float v : x) {
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float dGgml = Float.float16ToFloat(Float.floatToFloat16(max / -8f));
        double errGgml = 0;
        double errOurs = 0;
        float d = Float.float16ToFloat(out.getShort(0));
        for (int i = 0; i < 32; i++) {
            int q = Math.min(15, (int) (x[i] / dGgml + 8.5f));
            errGgml += Math.pow(x[i] - (q - 8) * dGgml, 2);
            int b = out.get(2 + i % 16) & 0xff;
            int nib = i < 16 ? b & 0xf : b >>> 4;
            errOurs += Math.pow(x[i] - (nib - 8) * d, 2);
        }
        assertTrue(errOurs <= errGgml + 1e-12, errOurs + " > " + errGgml);
    }

    @Test
    void decodedInt4RoundTripsThroughTheF32Form() {
        float[] w = random(64 * 3, 4);
        double[] d = WeightQuantizer.decoded(w, 64, 3, Precision.INT4);
        WeightData f = WeightQuantizer.int4AsF32(Q4Blocks.q4_1Transposed(w, 64, 3, null));
        ByteBuffer b = f.view();
        for (int i = 0; i < 64; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(d[i * 3 + j], b.getFloat((j * 64 + i) * 4), 0.0);
            }
        }
    }

    @Test
    void smoothingKeepsTheProductAndInt4ScalesAreOnesForFlatActivations() {
        int k = 64;
        int n = 8;
        float[] w = random(k * n, 5);
        float[] act = new float[k];
        java.util.Arrays.fill(act, 1f);
        act[7] = 30f;
        float[] s = Smoothing.scales(act, List.of(w), List.of(n));
        float[] sw = Smoothing.scaleRows(w, s, n);
        float[] x = random(k, 6);
        for (int j = 0; j < n; j++) {
            double a = 0;
            double b = 0;
            for (int i = 0; i < k; i++) {
                a += x[i] * w[i * n + j];
                b += (x[i] / s[i]) * sw[i * n + j];
            }
            assertEquals(a, b, 1e-4);
        }
        assertTrue(s[7] > 2 * s[0], "the outlier channel gets the larger scale");
        float[] flat = new float[k];
        java.util.Arrays.fill(flat, 1f);
        float[] s4 = Smoothing.int4Scales(flat, List.of(w), List.of(n));
        for (float v : s4) {
            assertEquals(1f, v, 1e-6f);
        }
    }
}
