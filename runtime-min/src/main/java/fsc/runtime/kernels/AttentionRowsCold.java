package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The scalar twin of {@link Attention}'s row-at-a-time path for a fresh JVM ({@link VectorWarmth}):
 * until C2 has compiled the row path's vector code, a short sequence's attention (an encoder at 16
 * tokens: half of a fresh process's first MiniLM call) runs here, in plain loops the interpreter and
 * C1 run fast. Same bits as the vector path: each score's dot product keeps one accumulator per
 * vector lane, takes {@code Math.fma(q, k, acc)} per lane over the full vectors in order, sums the
 * lanes by {@link LaneSums#sumInPlace}'s tree and adds the tail products after it; each output element
 * takes {@code Math.fma(v, p, out)} per key; the softmax is the vector path's own scalar code.
 *
 * <p>The q, k and v of a batch element are copied into per-thread arrays once per call (their rows
 * are contiguous per batch element in both layouts), because each segment access costs the
 * interpreter a chain of method calls that an array access does not.
 */
final class AttentionRowsCold {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** 1 Mi floats (4 MiB) per thread at most: {@link #fits}. */
    private static final long MAX_COPIED_FLOATS = 1 << 20;

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    /** A thread's copies of one batch element's q, k and v, an output row, and the lane accumulators. */
    private static final class Scratch {
        float[] q = new float[0];
        float[] k = new float[0];
        float[] v = new float[0];
        float[] out = new float[0];
        float[] lanes = new float[0];
    }

    private AttentionRowsCold() {}

    /**
     * {@link Attention}'s row path for the heads {@code [from, to)} of the flattened {@code [B, Hq]},
     * same arguments and semantics, with the vector code's arithmetic for {@code vl} float lanes.
     */
    static void rowHeads(
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment mask,
            boolean boolMask,
            long mb,
            long mh,
            long mi,
            long mj,
            MemorySegment out,
            int hq,
            int hkv,
            int sq,
            int skv,
            int d,
            int dv,
            float scale,
            float softcap,
            long causal,
            int layout,
            float[] scores,
            int from,
            int to,
            int vl) {
        Scratch t = SCRATCH.get();
        int group = hq / hkv;
        boolean qSeq = (layout & Attention.Q_SEQ_MAJOR) != 0;
        boolean kSeq = (layout & Attention.K_SEQ_MAJOR) != 0;
        boolean vSeq = (layout & Attention.V_SEQ_MAJOR) != 0;
        boolean oSeq = (layout & Attention.OUT_SEQ_MAJOR) != 0;
        boolean hasMask = mask.byteSize() > 0;
        int dBound = d - d % vl;
        int qBatch = hq * sq * d;
        int kBatch = hkv * skv * d;
        int vBatch = hkv * skv * dv;
        float[] qa = t.q = ensure(t.q, qBatch);
        float[] ka = t.k = ensure(t.k, kBatch);
        float[] va = t.v = ensure(t.v, vBatch);
        float[] row = t.out = ensure(t.out, dv);
        float[] lanes = t.lanes = ensure(t.lanes, vl);
        int copied = -1;
        for (int head = from; head < to; head++) {
            int bi = head / hq;
            int h = head % hq;
            int kvh = h / group;
            if (bi != copied) {
                MemorySegment.copy(q, F32, (long) bi * qBatch * Float.BYTES, qa, 0, qBatch);
                MemorySegment.copy(k, F32, (long) bi * kBatch * Float.BYTES, ka, 0, kBatch);
                MemorySegment.copy(v, F32, (long) bi * vBatch * Float.BYTES, va, 0, vBatch);
                copied = bi;
            }
            for (int i = 0; i < sq; i++) {
                int qBase = (int) (Attention.rowOffset(qSeq, 0, h, i, hq, sq, d) / Float.BYTES);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < skv; j++) {
                    float s;
                    if (j - i > causal) {
                        s = Float.NEGATIVE_INFINITY;
                    } else {
                        int kBase = (int) (Attention.rowOffset(kSeq, 0, kvh, j, hkv, skv, d) / Float.BYTES);
                        float dot = dot(qa, qBase, ka, kBase, d, dBound, vl, lanes);
                        s = Attention.capAndMask(
                                dot * scale, softcap, hasMask, mask, boolMask, bi * mb + h * mh + i * mi + j * mj);
                    }
                    scores[j] = s;
                    max = Math.max(max, s);
                }
                java.util.Arrays.fill(row, 0, dv, 0f);
                if (max != Float.NEGATIVE_INFINITY) {
                    accumulate(scores, skv, max, va, vSeq, kvh, hkv, dv, dv - dv % vl, row);
                }
                long oBase = Attention.rowOffset(oSeq, bi, h, i, hq, sq, dv);
                MemorySegment.copy(row, 0, out, F32, oBase, dv);
            }
        }
    }

    /** The vector path's dot product of q and k rows: lane accumulators, lane tree, then the tail. */
    private static float dot(float[] qa, int qBase, float[] ka, int kBase, int d, int dBound, int vl, float[] lanes) {
        java.util.Arrays.fill(lanes, 0, vl, 0f);
        for (int e = 0; e < dBound; e += vl) {
            for (int l = 0; l < vl; l++) {
                lanes[l] = Math.fma(qa[qBase + e + l], ka[kBase + e + l], lanes[l]);
            }
        }
        float dot = LaneSums.sumInPlace(lanes, 0, vl);
        for (int e = dBound; e < d; e++) {
            dot += qa[qBase + e] * ka[kBase + e];
        }
        return dot;
    }

    /**
     * The softmax of {@code scores[0, skv)} and {@code row = Σ_j p_j · v_j}, as the vector path does
     * it: fused multiply-adds over the full vectors, a multiply then an add in the tail.
     */
    private static void accumulate(
            float[] scores,
            int skv,
            float max,
            float[] va,
            boolean vSeq,
            int kvh,
            int hkv,
            int dv,
            int dvBound,
            float[] row) {
        float sum = 0;
        for (int j = 0; j < skv; j++) {
            float p = (float) Math.exp(scores[j] - max);
            scores[j] = p;
            sum += p;
        }
        float inv = 1f / sum;
        for (int j = 0; j < skv; j++) {
            float p = scores[j] * inv;
            if (p == 0f) {
                continue;
            }
            int vBase = (int) (Attention.rowOffset(vSeq, 0, kvh, j, hkv, skv, dv) / Float.BYTES);
            for (int e = 0; e < dvBound; e++) {
                row[e] = Math.fma(va[vBase + e], p, row[e]);
            }
            for (int e = dvBound; e < dv; e++) {
                row[e] = row[e] + p * va[vBase + e];
            }
        }
    }

    /**
     * Whether one batch element's q, k and v fit the per-thread copies this path makes (a long
     * decode context takes the vector path from the start rather than copying megabytes).
     */
    static boolean fits(int hq, int hkv, int sq, int skv, int d, int dv) {
        return (long) hq * sq * d + (long) hkv * skv * (d + dv) <= MAX_COPIED_FLOATS;
    }

    private static float[] ensure(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }
}
