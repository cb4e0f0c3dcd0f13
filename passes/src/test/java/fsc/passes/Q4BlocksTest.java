package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.WeightData;
import fsc.runtime.quant.Dequantize;
import fsc.runtime.quant.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Q4_1 block search: never worse than ggml's reference rule (d = range / 15, m = min) on the
 * weighted error it minimises, clearly better on average, and laid out as the runtime's Q4_1
 * dequantizer reads it.
 */
class Q4BlocksTest {
    private static double ggmlError(float[] x, float[] wt) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float d = Float.float16ToFloat(Float.floatToFloat16((max - min) / 15));
        float m = Float.float16ToFloat(Float.floatToFloat16(min));
        double err = 0;
        for (int i = 0; i < 32; i++) {
            int q = Math.max(0, Math.min(15, Math.round((x[i] - m) / d)));
            err += wt[i] * Math.pow(x[i] - (q * d + m), 2);
        }
        return err;
    }

    private static double ourError(float[] x, float[] wt, ByteBuffer b) {
        float d = Float.float16ToFloat(b.getShort(0));
        float m = Float.float16ToFloat(b.getShort(2));
        double err = 0;
        for (int i = 0; i < 32; i++) {
            int byt = b.get(4 + i % 16) & 0xff;
            int q = i < 16 ? byt & 0xf : byt >>> 4;
            err += wt[i] * Math.pow(x[i] - (q * d + m), 2);
        }
        return err;
    }

    @Test
    void searchNeverLosesToGgmlsRuleAndUsuallyWins() {
        Random r = new Random(11);
        double ours = 0;
        double ggml = 0;
        for (int t = 0; t < 500; t++) {
            float[] x = new float[32];
            float[] wt = new float[32];
            for (int i = 0; i < 32; i++) {
                x[i] = (float) (r.nextGaussian() * 0.05 + (t % 3 == 0 ? 0.02 : 0));
                wt[i] = t % 2 == 0 ? 1f : (float) Math.pow(r.nextDouble() * 3, 2); // uneven importance
            }
            ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
            Q4Blocks.block(x, wt, b, 0);
            double e = ourError(x, wt, b);
            double g = ggmlError(x, wt);
            assertTrue(e <= g * (1 + 1e-9), t + ": " + e + " > " + g);
            ours += e;
            ggml += g;
        }
        assertTrue(ours < 0.9 * ggml, "the search should cut the error by 10%+: " + ours + " vs " + ggml);
    }

    @Test
    void layoutIsTheRuntimesQ4_1() {
        int k = 96;
        int n = 5;
        float[] w = new float[k * n];
        Random r = new Random(12);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        WeightData q = Q4Blocks.q4_1Transposed(w, k, n, null);
        MemorySegment seg = MemorySegment.ofBuffer(q.view());
        float[] row = new float[k];
        for (int j = 0; j < n; j++) {
            Dequantize.row(GgmlType.Q4_1, seg, (long) j * (k / 32) * 20, row, 0, k);
            for (int i = 0; i < k; i++) {
                assertEquals(Q4Blocks.value(q, j, i), row[i], 0f, "(" + j + ", " + i + ")");
                assertEquals(w[i * n + j], row[i], 0.35, "close to the weight");
            }
        }
    }
}
