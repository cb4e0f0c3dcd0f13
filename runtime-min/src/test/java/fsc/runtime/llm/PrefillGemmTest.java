package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.runtime.Parallelism;
import fsc.runtime.quant.Dequantize;
import fsc.runtime.quant.GgmlType;
import fsc.runtime.quant.RandomWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link PrefillGemm} against its scalar reference: every output is one FMA chain over k in order,
 * {@code c = fma(w[j][kk], x[t][kk], c)} from zero, so the fast kernel must match it bit for bit, for
 * any token count (panel tails), weight-row count (micro-tile and row-tile tails), K (K-block tails)
 * and thread count. That equality is also what makes prefill batch invariant.
 */
class PrefillGemmTest {
    private static final ValueLayout.OfFloat F32 = LlmKernels.F32;
    private final Random random = new Random(11);

    @Test
    void theColdTileGivesTheVectorTilesBits() {
        int lda = PrefillGemm.KC;
        int ldc = 3 * PrefillGemm.NR + 5;
        for (int kc : new int[] {1, 7, PrefillGemm.KC}) {
            float[] a = new float[PrefillGemm.MR * lda + 3];
            float[] b = new float[kc * PrefillGemm.NR + 2];
            float[] c = new float[PrefillGemm.MR * ldc + 4];
            for (float[] arr : new float[][] {a, b, c}) {
                for (int i = 0; i < arr.length; i++) {
                    arr[i] = (float) random.nextGaussian();
                }
            }
            float[] vector = c.clone();
            float[] cold = c.clone();
            PrefillGemm.kernel8x2(kc, a, 3, lda, b, 2, vector, 4, ldc);
            PrefillGemm.kernel8x2Cold(kc, a, 3, lda, b, 2, cold, 4, ldc);
            for (int i = 0; i < c.length; i++) {
                assertEquals(
                        Float.floatToRawIntBits(vector[i]), Float.floatToRawIntBits(cold[i]), "kc " + kc + " at " + i);
            }
        }
    }

    @Test
    void matchesTheScalarFmaChainOverOddShapes() {
        int[][] shapes = {
            // rows (tokens), k (in units of the block size, 256 for K-quants), n
            {1, 1, 1}, {5, 3, 9}, {24, 2, 8}, {31, 9, 33}, {33, 1, 40}, {70, 2, PrefillGemm.RB * 2 + 7}, {128, 2, 65}
        };
        try (Arena a = Arena.ofShared();
                Parallelism one = Parallelism.of(1);
                Parallelism two = Parallelism.of(2)) {
            for (GgmlType type : GgmlType.values()) {
                for (int[] shape : shapes) {
                    int rows = shape[0];
                    // F32/F16/BF16: odd k with a K-block tail (300 = 256 + 44); block types: whole blocks.
                    int k = type.blockSize() == 1
                            ? 300 * shape[1] - 1
                            : type.blockSize() * shape[1] * (type.blockSize() == 32 ? 9 : 1);
                    int n = shape[2];
                    MemorySegment w = RandomWeights.of(a, type, n, k, random);
                    MemorySegment x = a.allocate(4L * rows * k, 64);
                    for (long i = 0; i < (long) rows * k; i++) {
                        x.set(F32, 4 * i, (float) random.nextGaussian());
                    }
                    float[] want = reference(type, w, x, rows, k, n);
                    for (Parallelism par : new Parallelism[] {one, two}) {
                        // The Vector API tiles, then the machine-code ones where this CPU has them.
                        for (boolean nativeTiles : new boolean[] {false, true}) {
                            MemorySegment y = a.allocate(4L * rows * n, 64);
                            y.fill((byte) 0x7f);
                            PrefillGemm.matmul(par, type, w, x, y, rows, k, n, nativeTiles);
                            for (int i = 0; i < rows * n; i++) {
                                assertEquals(
                                        want[i],
                                        y.get(F32, 4L * i),
                                        type + " rows " + rows + " k " + k + " n " + n + " threads " + par.threads()
                                                + (nativeTiles && PrefillGemm.NATIVE ? " machine code" : " vector")
                                                + " token " + i / n + " row " + i % n);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void aTokenGetsTheSameOutputsInAnyStep() {
        // Batch invariance directly: token 40's outputs alone, among 41, among 128 and at another position.
        try (Arena a = Arena.ofShared();
                Parallelism par = Parallelism.of(2)) {
            GgmlType type = GgmlType.Q4_0;
            int k = 512;
            int n = 96;
            MemorySegment w = RandomWeights.of(a, type, n, k, random);
            MemorySegment x = a.allocate(4L * 128 * k, 64);
            for (long i = 0; i < 128L * k; i++) {
                x.set(F32, 4 * i, (float) random.nextGaussian());
            }
            MemorySegment y128 = a.allocate(4L * 128 * n);
            PrefillGemm.matmul(par, type, w, x, y128, 128, k, n);
            MemorySegment y41 = a.allocate(4L * 41 * n);
            PrefillGemm.matmul(par, type, w, x, y41, 41, k, n);
            MemorySegment one = a.allocate(4L * k);
            MemorySegment.copy(x, 4L * 40 * k, one, 0, 4L * k);
            MemorySegment y1 = a.allocate(4L * n);
            PrefillGemm.matmul(par, type, w, one, y1, 1, k, n);
            for (int j = 0; j < n; j++) {
                float v = y1.get(F32, 4L * j);
                assertEquals(v, y41.get(F32, 4L * (40 * n + j)), "row " + j);
                assertEquals(v, y128.get(F32, 4L * (40 * n + j)), "row " + j);
            }
        }
    }

    /** One FMA chain per output, in k order, on the scalar dequantization. */
    private static float[] reference(GgmlType type, MemorySegment w, MemorySegment x, int rows, int k, int n) {
        float[] y = new float[rows * n];
        float[] row = new float[k];
        float[] xs = new float[rows * k];
        MemorySegment.copy(x, F32, 0, xs, 0, rows * k);
        for (int j = 0; j < n; j++) {
            Dequantize.row(type, w, j * type.bytesFor(k), row, 0, k);
            for (int t = 0; t < rows; t++) {
                float c = 0f;
                for (int i = 0; i < k; i++) {
                    c = Math.fma(row[i], xs[t * k + i], c);
                }
                y[t * n + j] = c;
            }
        }
        return y;
    }
}
