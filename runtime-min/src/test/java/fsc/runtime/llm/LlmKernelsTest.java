package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.runtime.Parallelism;
import fsc.runtime.quant.Dequantize;
import fsc.runtime.quant.GgmlType;
import fsc.runtime.quant.Q8K;
import fsc.runtime.quant.Q8KDotReference;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The decoder kernels against naive scalar references (double accumulation). */
class LlmKernelsTest {
    private final Random random = new Random(3);

    private MemorySegment floats(Arena a, int n) {
        MemorySegment s = a.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) {
            s.set(LlmKernels.F32, 4L * i, (float) random.nextGaussian());
        }
        return s;
    }

    private static MemorySegment ints(Arena a, int... v) {
        MemorySegment s = a.allocate(4L * v.length, 4);
        for (int i = 0; i < v.length; i++) {
            s.set(LlmKernels.I32, 4L * i, v[i]);
        }
        return s;
    }

    private static float f(MemorySegment s, long i) {
        return s.get(LlmKernels.F32, 4 * i);
    }

    @Test
    void pagedAttentionMatchesCausalGqaAttentionPerSequence() {
        checkPagedAttention(6, 2, 5, 2);
    }

    /**
     * A head of exactly four vectors (64 on AVX-512) takes the four-heads-per-pass score and value
     * kernels; a group of six runs one pass of four and two heads through the generic loop. One
     * and two threads must agree bit for bit (heads are split between threads, never positions).
     */
    @Test
    void pagedAttentionWithFourVectorHeadsMatchesTheReferenceAtOneAndTwoThreads() {
        int hd = 4 * jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        float[] one = checkPagedAttention(12, 2, hd, 1);
        float[] two = checkPagedAttention(12, 2, hd, 2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(one, two);
    }

    /**
     * A group of eight heads of four vectors runs every head through the tiles, in machine code
     * where the CPU has them (NativeAttentionTiles): against the reference at one and two threads.
     */
    @Test
    void pagedAttentionWithWholeFourHeadTilesMatchesTheReferenceAtOneAndTwoThreads() {
        int hd = 4 * jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        float[] one = checkPagedAttention(16, 2, hd, 1);
        float[] two = checkPagedAttention(16, 2, hd, 2);
        org.junit.jupiter.api.Assertions.assertArrayEquals(one, two);
    }

    /** Runs one layer's attention over two paged sequences, checks it, and returns the outputs. */
    private float[] checkPagedAttention(int heads, int kvHeads, int headDim, int threads) {
        random.setSeed(3); // the same inputs on every call, so calls can be compared
        PagedLayout l = new PagedLayout(2, 4, heads, kvHeads, headDim, (float) (1 / Math.sqrt(headDim)));
        int kvd = l.kvDim();
        // Two sequences: seq 0 holds positions 0..6 in blocks 3, 0; seq 1 positions 0..2 in block 1.
        int[] seqs = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
        int[] pos = {0, 1, 2, 3, 4, 5, 6, 0, 1, 2};
        int t = seqs.length;
        try (Arena a = Arena.ofShared();
                Parallelism par = Parallelism.of(threads)) {
            MemorySegment q = floats(a, t * l.heads() * l.headDim());
            MemorySegment k = floats(a, t * kvd);
            MemorySegment v = floats(a, t * kvd);
            MemorySegment cache = a.allocate(4L * 4 * l.blockFloats(), 64);
            MemorySegment table = ints(a, 3, 0, -1, 1, -1, -1);
            MemorySegment out = a.allocate(4L * t * l.heads() * l.headDim(), 64);
            LlmKernels.pagedAttention(
                    par,
                    q,
                    k,
                    v,
                    cache,
                    table,
                    ints(a, seqs),
                    ints(a, pos),
                    out,
                    2,
                    4,
                    heads,
                    kvHeads,
                    headDim,
                    l.scale(),
                    1,
                    t,
                    2,
                    3,
                    4);
            int hd = l.headDim();
            int group = l.heads() / l.kvHeads();
            for (int i = 0; i < t; i++) {
                for (int h = 0; h < l.heads(); h++) {
                    int g = h / group;
                    double[] s = new double[pos[i] + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    int n = 0;
                    for (int j = 0; j < t; j++) { // keys of the same sequence at positions <= pos[i]
                        if (seqs[j] == seqs[i] && pos[j] <= pos[i]) {
                            double d = 0;
                            for (int e = 0; e < hd; e++) {
                                d += f(q, (long) (i * l.heads() + h) * hd + e) * f(k, (long) j * kvd + g * hd + e);
                            }
                            s[pos[j]] = d * l.scale();
                            max = Math.max(max, s[pos[j]]);
                            n++;
                        }
                    }
                    assertEquals(pos[i] + 1, n);
                    double sum = 0;
                    for (int j = 0; j < s.length; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int e = 0; e < hd; e++) {
                        double o = 0;
                        for (int j = 0; j < t; j++) {
                            if (seqs[j] == seqs[i] && pos[j] <= pos[i]) {
                                o += s[pos[j]] / sum * f(v, (long) j * kvd + g * hd + e);
                            }
                        }
                        assertEquals(o, f(out, (long) (i * l.heads() + h) * hd + e), 1e-5, "token " + i + " head " + h);
                    }
                }
            }
            return out.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
        }
    }

    @Test
    void ropeRotatesNeighbourOrHalfPairs() {
        int heads = 3, hd = 8, rotary = 6, tokens = 2, tableRows = 10;
        try (Arena a = Arena.ofShared()) {
            for (boolean interleaved : new boolean[] {true, false}) {
                MemorySegment x = floats(a, tokens * heads * hd);
                MemorySegment cos = floats(a, tableRows * rotary / 2);
                MemorySegment sin = floats(a, tableRows * rotary / 2);
                MemorySegment y = a.allocate(4L * tokens * heads * hd, 64);
                int[] p = {7, 2};
                LlmKernels.rope(
                        x, cos, sin, tableRows, ints(a, p), false, y, 1, tokens, heads, hd, rotary, false, interleaved);
                for (int t = 0; t < tokens; t++) {
                    for (int h = 0; h < heads; h++) {
                        long base = (long) (t * heads + h) * hd;
                        for (int i = 0; i < rotary / 2; i++) {
                            long i1 = base + (interleaved ? 2 * i : i);
                            long i2 = base + (interleaved ? 2 * i + 1 : i + rotary / 2);
                            double c = f(cos, (long) p[t] * rotary / 2 + i);
                            double s = f(sin, (long) p[t] * rotary / 2 + i);
                            assertEquals(f(x, i1) * c - f(x, i2) * s, f(y, i1), 1e-5);
                            assertEquals(f(x, i1) * s + f(x, i2) * c, f(y, i2), 1e-5);
                        }
                        for (int i = rotary; i < hd; i++) { // beyond the rotary dims: unchanged
                            assertEquals(f(x, base + i), f(y, base + i));
                        }
                    }
                }
            }
        }
    }

    @Test
    void qmatmulMatchesDequantizedReferenceOverOddShapes() {
        try (Arena a = Arena.ofShared();
                Parallelism par = Parallelism.of(2)) {
            // 1 and 3 rows take the decode path (QuantMatVec), 5 the batched-decode path
            // (QuantDotRows; the prefill path for types it lacks), 30 the prefill path (PrefillGemm:
            // packed activations, dequantized weight tiles) over more than two row tiles and a short
            // last one.
            for (int rows : new int[] {1, 3, 5, 30})
                for (GgmlType type : GgmlType.values()) {
                    int k = type.blockSize() == 1 ? 37 : 2 * type.blockSize();
                    int n = rows == 30 ? 2 * PrefillGemm.RB + 7 : 19;
                    MemorySegment w = a.allocate(type.bytesFor((long) n * k), 64);
                    for (long i = 0; i < w.byteSize(); i++) {
                        w.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(256));
                    }
                    if (type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16 || type.blockSize() > 1) {
                        scrubScales(type, w, n * k);
                    }
                    MemorySegment x = floats(a, rows * k);
                    MemorySegment y = a.allocate(4L * rows * n, 64);
                    LlmKernels.qmatmul(par, type, w, x, y, rows, k, n);
                    float[] row = new float[k];
                    for (int j = 0; j < n; j++) {
                        Dequantize.row(type, w, j * type.bytesFor(k), row, 0, k);
                        for (int t = 0; t < rows; t++) {
                            double d = 0;
                            for (int i = 0; i < k; i++) {
                                d += row[i] * f(x, (long) t * k + i);
                            }
                            assertEquals(d, f(y, (long) t * n + j), 1e-3 * (1 + Math.abs(d)), type + " row " + j);
                        }
                    }
                }
        }
    }

    @Test
    void qmatmulQ8KMatchesTheScalarIntegerReference() {
        try (Arena a = Arena.ofShared();
                Parallelism par = Parallelism.of(2)) {
            // 1 and 3 rows take the decode path, 5 and 13 the prefill path (machine code for Q4_K/Q6_K on
            // AVX-512 VNNI: Q8KPanelGemm, else Q8KDot / Q8KUnpackedRow): every path gives the reference's bits, so a
            // token's logits do not depend on the step's batch.
            for (int rows : new int[] {1, 3, 5, 13})
                for (GgmlType type : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}) {
                    int k = 512;
                    int n = 19;
                    MemorySegment w = a.allocate(type.bytesFor((long) n * k), 64);
                    for (long i = 0; i < w.byteSize(); i++) {
                        w.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(256));
                    }
                    scrubScales(type, w, n * k);
                    MemorySegment x = floats(a, rows * k);
                    MemorySegment y = a.allocate(4L * rows * n, 64);
                    LlmKernels.qmatmulQ8K(par, type, w, x, y, rows, k, n);
                    Q8K xq = Q8K.quantize(x, 0, rows, k);
                    for (int j = 0; j < n; j++) {
                        for (int t = 0; t < rows; t++) {
                            float expected = Q8KDotReference.dot(type, w, j * type.bytesFor(k), xq, t);
                            assertEquals(
                                    Float.floatToRawIntBits(expected),
                                    Float.floatToRawIntBits(f(y, (long) t * n + j)),
                                    type + " rows " + rows + " row " + j + " token " + t);
                        }
                    }
                }
        }
    }

    /** Random bytes may spell NaN/Inf scales or floats; rewrite every value as a small float via its reference. */
    private void scrubScales(GgmlType type, MemorySegment w, int elements) {
        float[] all = new float[elements];
        Dequantize.row(type, w, 0, all, 0, elements);
        boolean finite = true;
        for (float v : all) {
            finite &= Float.isFinite(v) && Math.abs(v) < 1e4;
        }
        if (!finite) {
            // Zero the bytes and set small, valid contents: a zero block dequantizes to zeros.
            w.fill((byte) 0);
            for (long i = 0; i < w.byteSize(); i += 2) {
                w.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(64));
            }
        }
    }
}
