package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.runtime.ElemType;
import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Paged attention over an f16 cache against scalar references: the exact mode against f64 softmax
 * attention over f16-rounded keys and values; llama.cpp's flash mode against a line-by-line
 * transcription of ggml's {@code flash_attn_ext_f16} loop for one query row.
 */
class F16KvAttentionTest {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final PagedLayout L = new PagedLayout(2, 4, 6, 2, 8, (float) (1 / Math.sqrt(8)), ElemType.F16);
    // Two sequences: seq 0 holds positions 0..6 in blocks 3, 0; seq 1 positions 0..2 in block 1.
    private static final int[] SEQS = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    private static final int[] POS = {0, 1, 2, 3, 4, 5, 6, 0, 1, 2};

    private final Random random = new Random(17);

    @Test
    void storesHalvesAndAttendsExactly() {
        run(false, (q, k, v, i, h, out) -> {
            int kvh = h / (L.heads() / L.kvHeads());
            double[] s = new double[POS[i] + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < SEQS.length; j++) {
                if (SEQS[j] == SEQS[i] && POS[j] <= POS[i]) {
                    double d = 0;
                    for (int e = 0; e < L.headDim(); e++) {
                        d += q[(i * L.heads() + h) * L.headDim() + e] * half(k[j * L.kvDim() + kvh * L.headDim() + e]);
                    }
                    s[POS[j]] = d * L.scale();
                    max = Math.max(max, s[POS[j]]);
                }
            }
            double sum = 0;
            for (int j = 0; j < s.length; j++) {
                s[j] = Math.exp(s[j] - max);
                sum += s[j];
            }
            for (int e = 0; e < L.headDim(); e++) {
                double o = 0;
                for (int j = 0; j < SEQS.length; j++) {
                    if (SEQS[j] == SEQS[i] && POS[j] <= POS[i]) {
                        o += s[POS[j]] / sum * half(v[j * L.kvDim() + kvh * L.headDim() + e]);
                    }
                }
                assertEquals(o, out[e], 1e-5, "token " + i + " head " + h);
            }
        });
    }

    @Test
    void flashModeFollowsGgmlsF16Accumulation() {
        run(true, (q, k, v, i, h, out) -> {
            int hd = L.headDim();
            int kvh = h / (L.heads() / L.kvHeads());
            float m = Float.NEGATIVE_INFINITY;
            float sum = 0;
            float[] vkq = new float[hd]; // ggml's VKQ16: every value an f16
            for (int j = 0; j < SEQS.length; j++) { // positions in order: the cache's order for this sequence
                if (SEQS[j] != SEQS[i] || POS[j] > POS[i]) {
                    continue;
                }
                double d = 0;
                for (int e = 0; e < hd; e++) {
                    d += half(q[(i * L.heads() + h) * hd + e]) * half(k[j * L.kvDim() + kvh * hd + e]);
                }
                float s = (float) d * L.scale();
                float ms = 1;
                float vs = 1;
                if (s > m) {
                    float old = m;
                    m = s;
                    ms = (float) Math.exp(old - m); // exp(-inf) = 0 on the first position
                    for (int e = 0; e < hd; e++) {
                        vkq[e] = half(vkq[e] * ms);
                    }
                } else {
                    vs = (float) Math.exp(s - m);
                }
                for (int e = 0; e < hd; e++) {
                    vkq[e] = half(Math.fma(half(v[j * L.kvDim() + kvh * hd + e]), vs, vkq[e]));
                }
                sum = sum * ms + vs;
            }
            for (int e = 0; e < hd; e++) {
                // The kernel's f32 score may differ from this f64 one in the last bit, which can flip an
                // f16 rounding of the accumulator: allow one f16 step (2^-10 relative), but count them.
                float expected = vkq[e] / sum;
                assertEquals(expected, out[e], 2e-3 * Math.abs(expected) + 1e-6, "token " + i + " head " + h);
                checked++;
                if (Math.abs(expected - out[e]) > 1e-6 * Math.abs(expected)) {
                    inexact++;
                }
            }
        });
        // Most values are bit-for-bit ggml's: an f32 accumulator would miss nearly all of them.
        assertEquals(0, inexact, checked / 50.0, inexact + " of " + checked + " values off by more than 1e-6");
    }

    private int checked;
    private int inexact;

    private interface Check {
        void token(float[] q, float[] k, float[] v, int i, int h, float[] out);
    }

    private void run(boolean flash, Check check) {
        int t = SEQS.length;
        int kvd = L.kvDim();
        int hd = L.headDim();
        float[] q = gaussian(t * L.heads() * hd, 2);
        float[] k = gaussian(t * kvd, 2);
        float[] v = gaussian(t * kvd, 1);
        int layer = 1;
        try (Arena a = Arena.ofShared();
                Parallelism par = Parallelism.of(2)) {
            MemorySegment cache = a.allocate(4 * L.blockBytes(), 64);
            MemorySegment table = ints(a, 3, 0, -1, 1, -1, -1);
            MemorySegment out = a.allocate(4L * t * L.heads() * hd, 64);
            LlmKernels.pagedAttentionF16(
                    par,
                    floats(a, q),
                    floats(a, k),
                    floats(a, v),
                    cache,
                    table,
                    ints(a, SEQS),
                    ints(a, POS),
                    out,
                    L.layers(),
                    L.blockSize(),
                    L.heads(),
                    L.kvHeads(),
                    hd,
                    L.scale(),
                    layer,
                    t,
                    2,
                    3,
                    4,
                    flash);
            // Token 5 (seq 0, position 5) lives in block 0 (table[0][1]), slot 1, layer 1: the key row
            // starts at element 0 * blockFloats + (1 * 2 * 4 + 1) * kvd, its value 4 * kvd later.
            long key = (1L * 2 * 4 + 1) * kvd;
            for (int e = 0; e < kvd; e++) {
                assertEquals(half(k[5 * kvd + e]), Float.float16ToFloat(cache.get(F16, 2 * (key + e))));
                assertEquals(half(v[5 * kvd + e]), Float.float16ToFloat(cache.get(F16, 2 * (key + 4L * kvd + e))));
            }
            for (int i = 0; i < t; i++) {
                for (int h = 0; h < L.heads(); h++) {
                    float[] o = new float[hd];
                    MemorySegment.copy(out, LlmKernels.F32, 4L * (i * L.heads() + h) * hd, o, 0, hd);
                    check.token(q, k, v, i, h, o);
                }
            }
        }
    }

    private float[] gaussian(int n, double scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (random.nextGaussian() * scale);
        }
        return f;
    }

    private static MemorySegment floats(Arena a, float[] v) {
        MemorySegment s = a.allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, s, LlmKernels.F32, 0, v.length);
        return s;
    }

    private static MemorySegment ints(Arena a, int... v) {
        MemorySegment s = a.allocate(4L * v.length, 4);
        MemorySegment.copy(v, 0, s, LlmKernels.I32, 0, v.length);
        return s;
    }

    private static float half(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }
}
