package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention on f32 tensors, {@code [B,H,S,D]} or sequence-major {@code
 * [B,S,H,D]} per operand: the scores of a head live in per-thread tiles, never in a {@code
 * [B,H,Sq,Skv]} tensor, so memory stays linear in the sequence length. Semantics are those of the
 * IR's {@code attention} op: {@code softmax(q·kᵀ·scale + mask [causal]) · v}, grouped-query heads
 * ({@code h} reads kv head {@code h / (Hq/Hkv)}), and a row with every key masked gives zeros.
 * Large heads take {@link AttentionHeads} (register-tiled products over L1 tiles), small ones
 * (decode) the row-at-a-time loop here.
 *
 * <p>All vector code of the row path is inside {@link #rowHeadsVector}: a vector handed to a helper the
 * JIT does not inline is boxed on the heap, which would make steady-state inference allocate.
 */
public final class Attention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** {@code causal} offset meaning "no causal mask". */
    public static final long NOT_CAUSAL = Long.MAX_VALUE / 2;

    /** {@code layout} with no bit set: every operand is {@code [B,H,S,D]}. */
    public static final int HEAD_MAJOR = 0;

    /** {@code layout} bit: q is {@code [B,Sq,Hq,D]} (sequence-major) rather than {@code [B,Hq,Sq,D]}. */
    public static final int Q_SEQ_MAJOR = AttentionHeads.Q_SEQ_MAJOR;

    /** {@code layout} bit: k is {@code [B,Skv,Hkv,D]}. */
    public static final int K_SEQ_MAJOR = AttentionHeads.K_SEQ_MAJOR;

    /** {@code layout} bit: v is {@code [B,Skv,Hkv,Dv]}. */
    public static final int V_SEQ_MAJOR = AttentionHeads.V_SEQ_MAJOR;

    /** {@code layout} bit: out is {@code [B,Sq,Hq,Dv]}. */
    public static final int OUT_SEQ_MAJOR = AttentionHeads.OUT_SEQ_MAJOR;

    /**
     * Below this many scores per head the row-at-a-time loop wins; above it the blocked path's
     * copy of the head into tiles pays for register-tiled products instead of one reduction per
     * score.
     */
    static final long BLOCKED_MIN_SCORES = 32 * 32;

    /** Per-calling-thread task of the parallel {@link #attend}. */
    private static final ThreadLocal<Heads> TASK = new ThreadLocal<>() {
        @Override
        protected Heads initialValue() {
            return new Heads();
        }
    };

    /** Per-thread score row of the row-at-a-time path when it runs on a team. */
    private static final ThreadLocal<float[][]> ROW_SCRATCH = new ThreadLocal<>() {
        @Override
        protected float[][] initialValue() {
            return new float[1][];
        }
    };

    /**
     * The row path's vector code, warm once a timed run takes under 500 ns per score (compiled: tens
     * of ns at head sizes to 128; the Vector API fallback: microseconds).
     */
    static final VectorWarmth ROWS_WARMTH = VectorWarmth.prewarmed(500);

    private Attention() {}

    /**
     * Attention of {@code q[b,hq,sq,d]}, {@code k[b,hkv,skv,d]}, {@code v[b,hkv,skv,dv]} into
     * {@code out[b,hq,sq,dv]}. {@code causal} is the largest {@code j - i} that may attend (0 for
     * upper-left, {@code skv - sq} for lower-right, {@link #NOT_CAUSAL}); {@code softcap} 0 is off.
     * {@code mask} is {@link MemorySegment#NULL} or f32 (additive) or bool ({@code boolMask}, true
     * attends) elements, addressed by the element strides {@code mb, mh, mi, mj} per score axis (0
     * on an axis it broadcasts over). {@code layout} has a bit ({@link #Q_SEQ_MAJOR}, {@link
     * #K_SEQ_MAJOR}, {@link #V_SEQ_MAJOR}, {@link #OUT_SEQ_MAJOR}) for each operand stored
     * sequence-major, {@code [B,S,H,D]} instead of {@code [B,H,S,D]}: the layout the projections
     * produce, so no transpose runs before or after. {@code scratch} holds at least {@code skv}
     * floats. Separate arguments rather than a mask record, so a call allocates nothing.
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
            int layout,
            float[] scratch) {
        if (blockedPath(q, k, v, mask, boolMask, mi, mj, out, sq, skv, softcap, causal)) {
            attendBlocked(
                    q, k, v, mask, boolMask, mb, mh, mi, mj, out, b, hq, hkv, sq, skv, d, dv, scale, softcap, causal,
                    layout);
        } else {
            attendRows(
                    q, k, v, mask, boolMask, mb, mh, mi, mj, out, b, hq, hkv, sq, skv, d, dv, scale, softcap, causal,
                    layout, scratch);
        }
    }

    /**
     * Whether {@link #attend} takes the blocked path: from {@link #BLOCKED_MIN_SCORES} scores a head,
     * and below that too where the blocked path runs in machine code ({@link NativeAttentionHeads}):
     * compiled from a process's first call on, where the row path would start in the interpreter.
     * Not for fewer than {@link AttentionHeads#MR} query rows (a decode step): the blocked path pads
     * them to a block and packs every key, which the row path reads in place.
     */
    static boolean blockedPath(
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment mask,
            boolean boolMask,
            long mi,
            long mj,
            MemorySegment out,
            int sq,
            int skv,
            float softcap,
            long causal) {
        return blocked(sq, skv)
                || (sq >= AttentionHeads.MR
                        && NativeAttentionHeads.applies(q, k, v, mask, boolMask, mi, mj, out, softcap, causal, skv));
    }

    /** Whether a head of {@code sq × skv} scores takes the blocked path ({@link AttentionHeads}). */
    static boolean blocked(int sq, int skv) {
        return (long) sq * skv >= BLOCKED_MIN_SCORES;
    }

    /**
     * {@link #attend} with the heads of {@code [B, Hq]} split over {@code par}'s threads: heads are
     * independent, and at one sequence (B = 1) they are the only parallelism attention has. Heads
     * are claimed one at a time, so a thread that starts late or shares its core takes fewer. Each
     * thread keeps its tiles in its own scratch; the task that carries the arguments is reused per
     * calling thread, so a call allocates nothing. {@code par} null or of one thread runs {@link
     * #attend}; the segments must then be accessible from the workers (not confined).
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
            int layout,
            float[] scratch,
            Parallelism par) {
        int heads = b * hq;
        if (par == null || par.threads() == 1 || heads < 2) {
            attend(
                    q, k, v, mask, boolMask, mb, mh, mi, mj, out, b, hq, hkv, sq, skv, d, dv, scale, softcap, causal,
                    layout, scratch);
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
        t.layout = layout;
        t.blocked = blockedPath(q, k, v, mask, boolMask, mi, mj, out, sq, skv, softcap, causal);
        par.forChunks(0, heads, 1, t);
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
        int layout;
        boolean blocked;

        @Override
        public void run(int from, int to) {
            if (blocked) {
                AttentionHeads.heads(
                        q, k, v, mask, boolMask, mb, mh, mi, mj, out, hq, hkv, sq, skv, d, dv, scale, softcap, causal,
                        layout, from, to);
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
                        layout,
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
     * The blocked path ({@link AttentionHeads}): per head and block of query rows, scores, mask and
     * softmax, and {@code p·v} in one pass over L1-resident tiles. Same semantics as {@link
     * #attendRows}.
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
            long causal,
            int layout) {
        AttentionHeads.heads(
                q, k, v, mask, boolMask, mb, mh, mi, mj, out, hq, hkv, sq, skv, d, dv, scale, softcap, causal, layout,
                0, b * hq);
    }

    /**
     * A scaled score after the softcap and the mask at element {@code m} (additive f32, or bool where
     * false gives -∞): the one definition both paths use. The causal limit is the callers' (the
     * row path skips the dot product of a key it excludes).
     */
    static float capAndMask(float s, float softcap, boolean hasMask, MemorySegment mask, boolean boolMask, long m) {
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

    /**
     * Byte offset of row {@code i} of head {@code h} in batch {@code bi} of a {@code [B,H,S,w]}
     * tensor, or of a {@code [B,S,H,w]} one when {@code seqMajor}.
     */
    static long rowOffset(boolean seqMajor, long bi, long h, long i, int heads, int s, int w) {
        long row = seqMajor ? (bi * s + i) * heads + h : (bi * heads + h) * s + i;
        return row * w * Float.BYTES;
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
            int layout,
            float[] scratch) {
        rowHeads(
                q, k, v, mask, boolMask, mb, mh, mi, mj, out, hq, hkv, sq, skv, d, dv, scale, softcap, causal, layout,
                scratch, 0, b * hq);
    }

    /**
     * {@link #attendRows} for the heads {@code [from, to)} of the flattened {@code [B, Hq]}: until
     * the vector code runs compiled, in {@link AttentionRowsCold}'s scalar twin (same bits), with
     * one call in {@value VectorWarmth#SAMPLE_EVERY} timed in the vector code to heat it.
     */
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
            int layout,
            float[] scratch,
            int from,
            int to) {
        if (ROWS_WARMTH.warm() || !AttentionRowsCold.fits(hq, hkv, sq, skv, d, dv)) {
            rowHeadsVector(
                    q, k, v, mask, boolMask, mb, mh, mi, mj, out, hq, hkv, sq, skv, d, dv, scale, softcap, causal,
                    layout, scratch, from, to);
            return;
        }
        // Cold: sampled per head, so the vector heads come at a steady rate (a one-thread call holds
        // every head of a layer); the heads between samples go to the twin in one call, which copies
        // each batch element's q, k and v once.
        for (int head = from; head < to; ) {
            int sampled = ROWS_WARMTH.coldUntil(head, to);
            if (sampled > head) {
                AttentionRowsCold.rowHeads(
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
                        layout,
                        scratch,
                        head,
                        sampled,
                        S.length());
            }
            if (sampled < to) {
                long start = System.nanoTime();
                rowHeadsVector(
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
                        layout,
                        scratch,
                        sampled,
                        sampled + 1);
                ROWS_WARMTH.timed(System.nanoTime() - start, (long) sq * skv);
            }
            head = sampled + 1;
        }
    }

    /** {@link #rowHeads} in vector code. */
    static void rowHeadsVector(
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
            float[] scratch,
            int from,
            int to) {
        int group = hq / hkv;
        boolean qSeq = (layout & Q_SEQ_MAJOR) != 0;
        boolean kSeq = (layout & K_SEQ_MAJOR) != 0;
        boolean vSeq = (layout & V_SEQ_MAJOR) != 0;
        boolean oSeq = (layout & OUT_SEQ_MAJOR) != 0;
        boolean hasMask = mask.byteSize() > 0;
        int vl = S.length();
        int dBound = S.loopBound(d);
        int dvBound = S.loopBound(dv);
        for (int head = from; head < to; head++) {
            int bi = head / hq;
            int h = head % hq;
            int kvh = h / group;
            for (int i = 0; i < sq; i++) {
                long qBase = rowOffset(qSeq, bi, h, i, hq, sq, d);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < skv; j++) {
                    float s;
                    if (j - i > causal) {
                        s = Float.NEGATIVE_INFINITY;
                    } else {
                        long kBase = rowOffset(kSeq, bi, kvh, j, hkv, skv, d);
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
                long oBase = rowOffset(oSeq, bi, h, i, hq, sq, dv);
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
                    long vBase = rowOffset(vSeq, bi, kvh, j, hkv, skv, dv);
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
