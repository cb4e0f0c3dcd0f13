package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention on contiguous {@code [B,H,S,D]} f32 tensors, one query row at a time:
 * the {@code Skv} scores of a row live in a caller-owned scratch array, never in a {@code [B,H,Sq,Skv]}
 * tensor, so memory stays linear in the sequence length. Semantics are those of the IR's
 * {@code attention} op: {@code softmax(q·kᵀ·scale + mask [causal]) · v}, grouped-query heads
 * ({@code h} reads kv head {@code h / (Hq/Hkv)}), and a row with every key masked gives zeros.
 *
 * <p>All vector code is inside {@link #attend}: a vector handed to a helper the JIT does not
 * inline is boxed on the heap, which would make steady-state inference allocate.
 */
public final class Attention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** {@code causal} offset meaning "no causal mask". */
    public static final long NOT_CAUSAL = Long.MAX_VALUE / 2;

    /** One-thread team for the GEMMs inside a head: heads, not GEMMs, are what threads split. */
    private static final Parallelism SERIAL = Parallelism.of(1);

    /**
     * Below this many scores per head the row-at-a-time loop wins; above it the two GEMMs of the
     * blocked path (q·kᵀ, then p·v) amortise their packing and run at GEMM speed instead of one
     * reduction per score.
     */
    static final long BLOCKED_MIN_SCORES = 32 * 32;

    /** Per-calling-thread task of the parallel {@link #attend}. */
    private static final ThreadLocal<Heads> TASK = ThreadLocal.withInitial(Heads::new);

    /** Per-thread score row of the row-at-a-time path when it runs on a team. */
    private static final ThreadLocal<float[][]> ROW_SCRATCH = ThreadLocal.withInitial(() -> new float[1][]);

    /** Per-thread scores of one head ({@code sq × skv} floats), grown on demand and then reused. */
    private static final ThreadLocal<MemorySegment[]> SCORES = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    private Attention() {}

    /**
     * Attention of {@code q[b,hq,sq,d]}, {@code k[b,hkv,skv,d]}, {@code v[b,hkv,skv,dv]} into
     * {@code out[b,hq,sq,dv]}. {@code causal} is the largest {@code j - i} that may attend (0 for
     * upper-left, {@code skv - sq} for lower-right, {@link #NOT_CAUSAL}); {@code softcap} 0 is off.
     * {@code mask} is {@link MemorySegment#NULL} or f32 (additive) or bool ({@code boolMask}, true
     * attends) elements, addressed by the element strides {@code mb, mh, mi, mj} per score axis (0
     * on an axis it broadcasts over). {@code scratch} holds at least {@code skv} floats. Separate
     * arguments rather than a mask record, so a call allocates nothing.
     */
    public static void attend(
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
            int b,
            int hq,
            int hkv,
            int sq,
            int skv,
            int d,
            int dv,
            float scale,
            float softcap,
            long causal,
            float[] scratch) {
        if ((long) sq * skv >= BLOCKED_MIN_SCORES) {
            attendBlocked(
                    q, k, v, mask, boolMask, mb, mh, mi, mj, out, b, hq, hkv, sq, skv, d, dv, scale, softcap, causal);
        } else {
            attendRows(
                    q, k, v, mask, boolMask, mb, mh, mi, mj, out, b, hq, hkv, sq, skv, d, dv, scale, softcap, causal,
                    scratch);
        }
    }

    /**
     * {@link #attend} with the heads of {@code [B, Hq]} split over {@code par}'s threads: heads are
     * independent, and at one sequence (B = 1) they are the only parallelism attention has. Each
     * thread keeps its scores in its own scratch; the task that carries the arguments is reused
     * per calling thread, so a call allocates nothing. {@code par} null or of one thread runs
     * {@link #attend}; the segments must then be accessible from the workers (not confined).
     */
    public static void attend(
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
            int b,
            int hq,
            int hkv,
            int sq,
            int skv,
            int d,
            int dv,
            float scale,
            float softcap,
            long causal,
            float[] scratch,
            Parallelism par) {
        int heads = b * hq;
        if (par == null || par.threads() == 1 || heads < 2) {
            attend(
                    q, k, v, mask, boolMask, mb, mh, mi, mj, out, b, hq, hkv, sq, skv, d, dv, scale, softcap, causal,
                    scratch);
            return;
        }
        Heads t = TASK.get();
        t.q = q;
        t.k = k;
        t.v = v;
        t.mask = mask;
        t.boolMask = boolMask;
        t.mb = mb;
        t.mh = mh;
        t.mi = mi;
        t.mj = mj;
        t.out = out;
        t.hq = hq;
        t.hkv = hkv;
        t.sq = sq;
        t.skv = skv;
        t.d = d;
        t.dv = dv;
        t.scale = scale;
        t.softcap = softcap;
        t.causal = causal;
        t.blocked = (long) sq * skv >= BLOCKED_MIN_SCORES;
        par.forRange(0, heads, 1, t);
        t.q = t.k = t.v = t.mask = t.out = null; // do not keep the caller's buffers reachable
    }

    /** One parallel attention call's arguments, and the body each thread runs over its heads. */
    private static final class Heads implements Parallelism.IntRangeBody {
        MemorySegment q;
        MemorySegment k;
        MemorySegment v;
        MemorySegment mask;
        boolean boolMask;
        long mb;
        long mh;
        long mi;
        long mj;
        MemorySegment out;
        int hq;
        int hkv;
        int sq;
        int skv;
        int d;
        int dv;
        float scale;
        float softcap;
        long causal;
        boolean blocked;

        @Override
        public void run(int from, int to) {
            if (blocked) {
                blockedHeads(
                        q, k, v, mask, boolMask, mb, mh, mi, mj, out, hq, hkv, sq, skv, d, dv, scale, softcap, causal,
                        from, to);
            } else {
                rowHeads(
                        q,
                        k,
                        v,
                        mask,
                        boolMask,
                        mb,
                        mh,
                        mi,
                        mj,
                        out,
                        hq,
                        hkv,
                        sq,
                        skv,
                        d,
                        dv,
                        scale,
                        softcap,
                        causal,
                        rowScratch(skv),
                        from,
                        to);
            }
        }
    }

    private static float[] rowScratch(int skv) {
        float[][] holder = ROW_SCRATCH.get();
        if (holder[0] == null || holder[0].length < skv) {
            holder[0] = new float[Math.max(skv, 256)];
        }
        return holder[0];
    }

    /**
     * The blocked path: per head, {@code scores = q·kᵀ·scale} with one {@link Sgemm#gemm} call, then
     * softcap, mask, causal limit and softmax per row in place, then {@code out = p·v} with a second
     * GEMM. Same semantics as {@link #attendRows}; the scores of one head live in a per-thread scratch
     * segment, so memory stays {@code O(sq·skv)} per thread, not per batch.
     */
    static void attendBlocked(
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
            int b,
            int hq,
            int hkv,
            int sq,
            int skv,
            int d,
            int dv,
            float scale,
            float softcap,
            long causal) {
        blockedHeads(
                q, k, v, mask, boolMask, mb, mh, mi, mj, out, hq, hkv, sq, skv, d, dv, scale, softcap, causal, 0,
                b * hq);
    }

    /** {@link #attendBlocked} for the heads {@code [from, to)} of the flattened {@code [B, Hq]}. */
    private static void blockedHeads(
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
            int from,
            int to) {
        MemorySegment sc = scores((long) sq * skv * Float.BYTES);
        int group = hq / hkv;
        boolean hasMask = mask.byteSize() > 0;
        for (int head = from; head < to; head++) {
            int bi = head / hq;
            int h = head % hq;
            long kvHead = (long) bi * hkv + h / group;
            long qOff = ((long) bi * hq + h) * sq * d * Float.BYTES;
            long kOff = kvHead * skv * d * Float.BYTES;
            long vOff = kvHead * skv * dv * Float.BYTES;
            long oOff = ((long) bi * hq + h) * sq * dv * Float.BYTES;
            Sgemm.gemm(sq, skv, d, q, qOff, d, false, k, kOff, d, true, sc, 0L, skv, scale, false, SERIAL);
            // Each score row is masked and normalised in this thread's heap row (RowScratch: vector
            // ops on a segment keep their liveness and bounds checks inside the loop).
            float[] a = RowScratch.floats(skv);
            float[] mrow = RowScratch.floats2(skv);
            for (int i = 0; i < sq; i++) {
                long row = (long) i * skv * Float.BYTES;
                MemorySegment.copy(sc, F32, row, a, 0, skv);
                float max = Float.NEGATIVE_INFINITY;
                int j0 = 0;
                long maskRow = bi * mb + h * mh + i * mi;
                if (softcap == 0 && !boolMask && skv - 1 - i <= causal && (!hasMask || mj == 1)) {
                    // The encoder case (no cap, no causal limit in this row, additive mask
                    // contiguous along keys or none) in vectors; the general loop below takes the tail.
                    if (hasMask) {
                        MemorySegment.copy(mask, F32, maskRow * Float.BYTES, mrow, 0, skv);
                    }
                    FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                    for (int bound = S.loopBound(skv); j0 < bound; j0 += S.length()) {
                        FloatVector x = FloatVector.fromArray(S, a, j0);
                        if (hasMask) {
                            x = x.add(FloatVector.fromArray(S, mrow, j0));
                            x.intoArray(a, j0);
                        }
                        vmax = vmax.max(x);
                    }
                    max = vmax.reduceLanes(VectorOperators.MAX);
                }
                for (int j = j0; j < skv; j++) {
                    float s = j - i > causal
                            ? Float.NEGATIVE_INFINITY
                            : capAndMask(a[j], softcap, hasMask, mask, boolMask, maskRow + j * mj);
                    a[j] = s;
                    max = Math.max(max, s);
                }
                if (max == Float.NEGATIVE_INFINITY) {
                    // every key masked: the row attends to nothing and gives zeros
                    java.util.Arrays.fill(a, 0, skv, 0f);
                } else {
                    // Vector exp and scale: a scalar Math.exp per score cost more than both GEMMs.
                    FloatMath.expNormalize(a, skv, max);
                }
                MemorySegment.copy(a, 0, sc, F32, row, skv);
            }
            Sgemm.gemm(sq, dv, skv, sc, 0L, skv, false, v, vOff, dv, false, out, oOff, dv, 1f, false, SERIAL);
        }
    }

    /**
     * A scaled score after the softcap and the mask at element {@code m} (additive f32, or bool where
     * false gives -∞): the one definition both paths use. The causal limit is the callers' (the
     * row path skips the dot product of a key it excludes).
     */
    private static float capAndMask(
            float s, float softcap, boolean hasMask, MemorySegment mask, boolean boolMask, long m) {
        if (softcap > 0) {
            s = softcap * (float) Math.tanh(s / softcap);
        }
        if (hasMask) {
            if (boolMask) {
                s = mask.get(ValueLayout.JAVA_BYTE, m) != 0 ? s : Float.NEGATIVE_INFINITY;
            } else {
                s += mask.get(F32, m * Float.BYTES);
            }
        }
        return s;
    }

    private static MemorySegment scores(long bytes) {
        MemorySegment[] holder = SCORES.get();
        if (holder[0] == null || holder[0].byteSize() < bytes) {
            holder[0] = java.lang.foreign.Arena.ofAuto().allocate(Math.max(bytes, 64 * 1024), 64);
        }
        return holder[0];
    }

    /** The row-at-a-time path (small heads, e.g. decode): scores of one query row in {@code scratch}. */
    static void attendRows(
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
            int b,
            int hq,
            int hkv,
            int sq,
            int skv,
            int d,
            int dv,
            float scale,
            float softcap,
            long causal,
            float[] scratch) {
        rowHeads(
                q, k, v, mask, boolMask, mb, mh, mi, mj, out, hq, hkv, sq, skv, d, dv, scale, softcap, causal, scratch,
                0, b * hq);
    }

    /** {@link #attendRows} for the heads {@code [from, to)} of the flattened {@code [B, Hq]}. */
    private static void rowHeads(
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
            float[] scratch,
            int from,
            int to) {
        int group = hq / hkv;
        boolean hasMask = mask.byteSize() > 0;
        int vl = S.length();
        int dBound = S.loopBound(d);
        int dvBound = S.loopBound(dv);
        for (int head = from; head < to; head++) {
            int bi = head / hq;
            int h = head % hq;
            long kvHead = (long) bi * hkv + h / group;
            for (int i = 0; i < sq; i++) {
                long qBase = (((long) bi * hq + h) * sq + i) * d * Float.BYTES;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < skv; j++) {
                    float s;
                    if (j - i > causal) {
                        s = Float.NEGATIVE_INFINITY;
                    } else {
                        long kBase = (kvHead * skv + j) * d * Float.BYTES;
                        FloatVector acc = FloatVector.zero(S);
                        int e = 0;
                        for (; e < dBound; e += vl) {
                            long o = (long) e * Float.BYTES;
                            acc = FloatVector.fromMemorySegment(S, q, qBase + o, LE)
                                    .fma(FloatVector.fromMemorySegment(S, k, kBase + o, LE), acc);
                        }
                        for (int r = vl / 2; r > 0; r /= 2) { // Lanes' tree, inline: no vector crosses a call
                            acc = acc.add(acc.rearrange(Lanes.ROTATE[r]));
                        }
                        float dot = acc.lane(0);
                        for (; e < d; e++) {
                            long o = (long) e * Float.BYTES;
                            dot += q.get(F32, qBase + o) * k.get(F32, kBase + o);
                        }
                        s = capAndMask(
                                dot * scale, softcap, hasMask, mask, boolMask, bi * mb + h * mh + i * mi + j * mj);
                    }
                    scratch[j] = s;
                    max = Math.max(max, s);
                }
                long oBase = (((long) bi * hq + h) * sq + i) * dv * Float.BYTES;
                // out row = Σ_j p_j · v_j, accumulated in the output row itself (zeroed first).
                for (int e = 0; e < dv; e++) {
                    out.set(F32, oBase + (long) e * Float.BYTES, 0f);
                }
                if (max == Float.NEGATIVE_INFINITY) {
                    continue;
                }
                float sum = 0;
                for (int j = 0; j < skv; j++) {
                    float p = (float) Math.exp(scratch[j] - max);
                    scratch[j] = p;
                    sum += p;
                }
                float inv = 1f / sum;
                for (int j = 0; j < skv; j++) {
                    float p = scratch[j] * inv;
                    if (p == 0f) {
                        continue;
                    }
                    long vBase = (kvHead * skv + j) * dv * Float.BYTES;
                    FloatVector pv = FloatVector.broadcast(S, p);
                    int e = 0;
                    for (; e < dvBound; e += vl) {
                        long o = (long) e * Float.BYTES;
                        FloatVector.fromMemorySegment(S, v, vBase + o, LE)
                                .fma(pv, FloatVector.fromMemorySegment(S, out, oBase + o, LE))
                                .intoMemorySegment(out, oBase + o, LE);
                    }
                    for (; e < dv; e++) {
                        long o = (long) e * Float.BYTES;
                        out.set(F32, oBase + o, out.get(F32, oBase + o) + p * v.get(F32, vBase + o));
                    }
                }
            }
        }
    }
}
