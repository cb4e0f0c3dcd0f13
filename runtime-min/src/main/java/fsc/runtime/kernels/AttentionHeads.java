package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention one head at a time with everything in L1: the head's q, kᵀ and v are copied once into
 * per-thread heap tiles, then for each block of {@link #MR} query rows the scores {@code q·kᵀ·scale}
 * (an {@code MR × 2-vector} register tile, as in {@code SgemmMicroKernels.kernel8}), mask, causal
 * limit and softmax of those rows, and {@code p·v} (the same register tile shape), written straight
 * to the output rows. Nothing goes through a {@code [Sq,Skv]} tensor, nothing is packed per GEMM
 * call, and the normalisation {@code 1/Σ} is applied to the {@code Dv} outputs rather than to the
 * {@code Skv} probabilities.
 *
 * <p>Why heap tiles: vector loads and stores on a {@code MemorySegment} keep bounds, liveness and
 * class checks in the loop once C2's profiled speculation has failed (see {@link RowScratch}); an
 * array load has one range check that C2 hoists. The copy-in is also where the operands' layout is
 * resolved: each of q, k, v and out may be {@code [B,H,S,D]} or {@code [B,S,H,D]} (a bit of {@code
 * layout}), so the transposes an exporter puts around attention are read through, not executed.
 *
 * <p>Padding: query rows are padded with zeros to a multiple of {@link #MR}, keys and output
 * columns to a multiple of {@link #NR} (zeros in kᵀ and v), so the register tiles never need a
 * tail; padded scores and rows are computed and never read.
 *
 * <p>The register tiles and the exp are {@link AttentionMicroKernels}; this class stages, packs,
 * masks and drives them. All vectors stay inside the method that creates them (a vector crossing a call that is not
 * inlined is boxed), so a call allocates nothing once this thread's tiles have grown.
 */
final class AttentionHeads {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Query rows per block: eight rows × two vectors is 16 accumulators, the SGEMM tile. */
    static final int MR = 8;

    /** Keys (scores) and output columns per register tile: two vectors. */
    static final int NR = 2 * VL;

    /** {@code layout} bit: q is {@code [B,S,H,D]} (else {@code [B,H,S,D]}). */
    static final int Q_SEQ_MAJOR = 1;

    static final int K_SEQ_MAJOR = 2;
    static final int V_SEQ_MAJOR = 4;
    static final int OUT_SEQ_MAJOR = 8;

    private static final ThreadLocal<Tiles> TILES = new ThreadLocal<>() {
        @Override
        protected Tiles initialValue() {
            return new Tiles();
        }
    };

    /**
     * The register tiles' vector code, warm once a timed call takes under 100 ns per score
     * (compiled: a few ns at head sizes to 128; the Vector API fallback: microseconds).
     */
    static final VectorWarmth WARMTH = VectorWarmth.prewarmed(100);

    /** One thread's tiles, grown on demand and reused. */
    private static final class Tiles {
        float[] stage = new float[0]; // one operand's rows of the head, row-major, as read
        float[] q = new float[0]; // [sqPad/MR][d][MR]: each row block interleaved, rows past sq zero
        float[] k = new float[0]; // [skvPad/NR][d][NR]: key panels (kᵀ), keys past skv zero
        float[] v = new float[0]; // [dvPad/NR][skv][NR]: value panels, columns past dv zero
        float[] sc = new float[0]; // [MR][skvPad] scores, then probabilities
        float[] o = new float[0]; // [sqPad][dvPad] the head's output
        float[] mask = new float[0]; // one additive mask row, -∞ past skv (padding keys)
        float[] zero = new float[0]; // a mask row of zeros for scores whose mask is added row by row
        final float[] rowMax = new float[MR * VL]; // per row of the block, the lane-wise max of its scores
        final float[] inv = new float[MR]; // 1/Σ per row of the block, 0 for a row that attends nothing
        final float[] lanes = new float[VL]; // the scalar twins' lane accumulators (AttentionHeadsCold)

        void fit(int sq, int sqPad, int skv, int skvPad, int d, int dv, int dvPad) {
            stage = grow(stage, Math.max(sq * d, skv * Math.max(d, dv)));
            q = grow(q, sqPad * d);
            k = grow(k, skvPad * d);
            v = grow(v, skv * dvPad);
            sc = grow(sc, MR * skvPad);
            o = grow(o, sqPad * dvPad);
            mask = grow(mask, skvPad);
            zero = grow(zero, skvPad);
        }

        private static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }

    private AttentionHeads() {}

    /** {@code n} rounded up to a multiple of {@code m}. */
    static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    /**
     * Heads {@code [from, to)} of the flattened {@code [B, Hq]}, with {@link Attention#attend}'s
     * arguments and semantics; {@code layout} says which operands are sequence-major.
     */
    static void heads(
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
            int from,
            int to) {
        if (NativeAttentionHeads.applies(q, k, v, mask, boolMask, mi, mj, out, softcap, causal, skv)) {
            NativeAttentionHeads.heads(q, k, v, mask, mb, mh, out, hq, hkv, sq, skv, d, dv, scale, layout, from, to);
            return;
        }
        if (WARMTH.warm()) {
            heads(
                    q, k, v, mask, boolMask, mb, mh, mi, mj, out, hq, hkv, sq, skv, d, dv, scale, softcap, causal,
                    layout, from, to, false);
            return;
        }
        // Cold: sampled per head, so the vector heads come at a steady rate (a one-thread call holds
        // every head of a layer; sampling whole calls would heat the tiles far slower); the heads
        // between samples go to the twins in one call, so grouped-query heads share their staged k, v.
        for (int head = from; head < to; ) {
            int sampled = WARMTH.coldUntil(head, to);
            if (sampled > head) {
                heads(
                        q, k, v, mask, boolMask, mb, mh, mi, mj, out, hq, hkv, sq, skv, d, dv, scale, softcap, causal,
                        layout, head, sampled, true);
            }
            if (sampled < to) {
                long start = System.nanoTime();
                heads(
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
                        sampled,
                        sampled + 1,
                        false);
                WARMTH.timed(System.nanoTime() - start, (long) sq * skv);
            }
            head = sampled + 1;
        }
    }

    /**
     * {@link #heads} in the register tiles' vector code, or, {@code cold}, in {@link
     * AttentionHeadsCold}'s scalar twins of it (same bits).
     */
    static void heads(
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
            int from,
            int to,
            boolean cold) {
        int sqPad = roundUp(sq, MR);
        int skvPad = roundUp(skv, NR);
        int dvPad = roundUp(dv, NR);
        Tiles t = TILES.get();
        t.fit(sq, sqPad, skv, skvPad, d, dv, dvPad);
        int group = hq / hkv;
        boolean hasMask = mask.byteSize() > 0;
        // The encoder case in vectors: no cap, additive mask contiguous along keys (or none).
        boolean vectorRows = softcap == 0 && !boolMask && (!hasMask || mj == 1);
        long lastKv = -1;
        for (int head = from; head < to; head++) {
            int bi = head / hq;
            int h = head % hq;
            long kvHead = (long) bi * hkv + h / group;
            stage(q, (layout & Q_SEQ_MAJOR) != 0, bi, h, hq, sq, d, t.stage, cold);
            packRowBlocks(t.stage, sq, sqPad, d, t.q);
            if (kvHead != lastKv) { // grouped-query heads share their k and v
                stage(k, (layout & K_SEQ_MAJOR) != 0, bi, h / group, hkv, skv, d, t.stage, cold);
                packKeyPanels(t.stage, skv, skvPad, d, t.k);
                stage(v, (layout & V_SEQ_MAJOR) != 0, bi, h / group, hkv, skv, dv, t.stage, cold);
                packValuePanels(t.stage, skv, dv, dvPad, t.v);
                lastKv = kvHead;
            }
            long maskHead = bi * mb + h * mh;
            // Scores take the mask in their epilogue and track each row's max when one mask row
            // (or none) serves every query row; other masks, caps and bool masks go row by row.
            boolean fused = vectorRows && (!hasMask || mi == 0);
            if (fused) {
                if (hasMask) {
                    MemorySegment.copy(mask, F32, maskHead * Float.BYTES, t.mask, 0, skv);
                } else {
                    Arrays.fill(t.mask, 0, skv, 0f);
                }
                Arrays.fill(t.mask, skv, skvPad, Float.NEGATIVE_INFINITY);
            }
            for (int i0 = 0; i0 < sqPad; i0 += MR) {
                int rows = Math.min(MR, sq - i0);
                // keys any row of the block attends (causal): p·v stops there
                int keys = (int) Math.max(0, Math.min(skv, i0 + rows - 1 + causal + 1));
                boolean whole = fused && keys == skv && i0 + causal + 1 >= skv; // no causal cut in this block
                if (cold) {
                    AttentionHeadsCold.scores(
                            t.q,
                            i0 * d,
                            t.k,
                            d,
                            skvPad / NR,
                            t.sc,
                            skvPad,
                            scale,
                            fused ? t.mask : t.zero,
                            t.rowMax,
                            VL);
                } else {
                    AttentionMicroKernels.scores(
                            t.q, i0 * d, t.k, d, skvPad / NR, t.sc, skvPad, scale, fused ? t.mask : t.zero, t.rowMax);
                }
                for (int r = 0; r < rows; r++) {
                    int i = i0 + r;
                    int limit = (int) Math.max(0, Math.min(skv, i + causal + 1)); // keys j < limit pass causal
                    int base = r * skvPad;
                    float max;
                    if (whole) {
                        max = cold
                                ? AttentionHeadsCold.maxOfLanes(t.rowMax, r * VL, VL)
                                : FloatVector.fromArray(S, t.rowMax, r * VL).reduceLanes(VectorOperators.MAX);
                    } else if (fused) { // the mask is in; only the causal limit cuts this row
                        max = cold
                                ? AttentionHeadsCold.maskRow(t.sc, base, limit, false, t.mask, VL, t.lanes)
                                : maskVector(t.sc, base, limit, false, t.mask);
                    } else {
                        long maskRow = maskHead + i * mi;
                        if (vectorRows && hasMask) {
                            MemorySegment.copy(mask, F32, maskRow * Float.BYTES, t.mask, 0, skv);
                        }
                        if (!vectorRows) {
                            max = maskScalar(t.sc, base, limit, softcap, hasMask, mask, boolMask, maskRow, mj);
                        } else if (cold) {
                            max = AttentionHeadsCold.maskRow(t.sc, base, limit, hasMask, t.mask, VL, t.lanes);
                        } else {
                            max = maskVector(t.sc, base, limit, hasMask, t.mask);
                        }
                    }
                    if (max == Float.NEGATIVE_INFINITY) { // every key masked: the row attends nothing
                        Arrays.fill(t.sc, base, base + skvPad, 0f);
                        t.inv[r] = 0f;
                    } else {
                        t.inv[r] = 1f
                                / (cold
                                        ? AttentionHeadsCold.expShiftedSum(t.sc, base, limit, max, VL, t.lanes)
                                        : AttentionMicroKernels.expShiftedSum(t.sc, base, limit, max));
                        Arrays.fill(t.sc, base + limit, base + skv, 0f); // causally excluded keys
                    }
                }
                for (int r = rows; r < MR; r++) { // padding rows: finite zeros, never stored
                    Arrays.fill(t.sc, r * skvPad, r * skvPad + skv, 0f);
                    t.inv[r] = 0f;
                }
                if (cold) {
                    AttentionHeadsCold.values(
                            t.sc, 0, skvPad, t.v, skv, keys, dvPad / NR, t.o, dvPad, t.inv, i0, 0, VL);
                    AttentionHeadsCold.values(
                            t.sc,
                            MR / 2 * skvPad,
                            skvPad,
                            t.v,
                            skv,
                            keys,
                            dvPad / NR,
                            t.o,
                            dvPad,
                            t.inv,
                            i0,
                            MR / 2,
                            VL);
                } else {
                    AttentionMicroKernels.values(t.sc, 0, skvPad, t.v, skv, keys, dvPad / NR, t.o, dvPad, t.inv, i0, 0);
                    AttentionMicroKernels.values(
                            t.sc, MR / 2 * skvPad, skvPad, t.v, skv, keys, dvPad / NR, t.o, dvPad, t.inv, i0, MR / 2);
                }
            }
            unstage(t.o, dvPad, out, (layout & OUT_SEQ_MAJOR) != 0, bi, h, hq, sq, dv, cold);
        }
    }

    /** {@link #stage}'s inverse: {@code src[n][ld]}'s first {@code w} columns into the head's rows. */
    private static void unstage(
            float[] src,
            int ld,
            MemorySegment dst,
            boolean seqMajor,
            int bi,
            int h,
            int heads,
            int n,
            int w,
            boolean cold) {
        long base = ((long) bi * heads * n * w + (long) h * (seqMajor ? w : (long) n * w)) * Float.BYTES;
        if ((!seqMajor || heads == 1) && ld == w) {
            MemorySegment.copy(src, 0, dst, F32, base, n * w);
            return;
        }
        long rowBytes = (seqMajor ? (long) heads * w : w) * Float.BYTES;
        if (cold) { // a bulk copy per row: no vector code before it is compiled
            for (int j = 0; j < n; j++) {
                MemorySegment.copy(src, j * ld, dst, F32, base + j * rowBytes, w);
            }
            return;
        }
        int bound = S.loopBound(w);
        for (int j = 0; j < n; j++) {
            long at = base + j * rowBytes;
            int e = 0;
            for (; e < bound; e += VL) {
                FloatVector.fromArray(S, src, j * ld + e)
                        .intoMemorySegment(dst, at + (long) e * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            }
            for (; e < w; e++) {
                dst.set(F32, at + (long) e * Float.BYTES, src[j * ld + e]);
            }
        }
    }

    /**
     * Rows {@code [0, n)} of head {@code h} of a {@code [B,H,n,w]} (or, with {@code seqMajor},
     * {@code [B,n,H,w]}) tensor into {@code dst}, row-major {@code [n][w]}: one bulk copy when the
     * head is contiguous, else a row at a time in vectors (a bulk copy per 128-byte row costs more
     * than the row).
     */
    private static void stage(
            MemorySegment src, boolean seqMajor, int bi, int h, int heads, int n, int w, float[] dst, boolean cold) {
        long base = ((long) bi * heads * n * w + (long) h * (seqMajor ? w : (long) n * w)) * Float.BYTES;
        if (!seqMajor || heads == 1) {
            MemorySegment.copy(src, F32, base, dst, 0, n * w);
            return;
        }
        long rowBytes = (long) heads * w * Float.BYTES;
        if (cold) { // a bulk copy per row: no vector code before it is compiled
            for (int j = 0; j < n; j++) {
                MemorySegment.copy(src, F32, base + j * rowBytes, dst, j * w, w);
            }
            return;
        }
        int bound = S.loopBound(w);
        for (int j = 0; j < n; j++) {
            long at = base + j * rowBytes;
            int e = 0;
            for (; e < bound; e += VL) {
                FloatVector.fromMemorySegment(S, src, at + (long) e * Float.BYTES, ByteOrder.LITTLE_ENDIAN)
                        .intoArray(dst, j * w + e);
            }
            for (; e < w; e++) {
                dst[j * w + e] = src.get(F32, at + (long) e * Float.BYTES);
            }
        }
    }

    /** {@code rows[n][d]} as blocks of {@link #MR} rows, each {@code [d][MR]}; rows past {@code n} zero. */
    private static void packRowBlocks(float[] rows, int n, int nPad, int d, float[] dst) {
        for (int i = 0; i < nPad; i++) {
            int at = i / MR * d * MR + i % MR;
            if (i < n) {
                for (int e = 0; e < d; e++) {
                    dst[at + e * MR] = rows[i * d + e];
                }
            } else {
                for (int e = 0; e < d; e++) {
                    dst[at + e * MR] = 0f;
                }
            }
        }
    }

    /** {@code keys[n][d]} as panels of {@link #NR} keys, each {@code [d][NR]} (kᵀ); keys past {@code n} zero. */
    private static void packKeyPanels(float[] keys, int n, int nPad, int d, float[] dst) {
        for (int j = 0; j < nPad; j++) {
            int at = j / NR * d * NR + j % NR;
            if (j < n) {
                for (int e = 0; e < d; e++) {
                    dst[at + e * NR] = keys[j * d + e];
                }
            } else {
                for (int e = 0; e < d; e++) {
                    dst[at + e * NR] = 0f;
                }
            }
        }
    }

    /** {@code values[n][w]} as panels of {@link #NR} columns, each {@code [n][NR]}; columns past {@code w} zero. */
    private static void packValuePanels(float[] values, int n, int w, int wPad, float[] dst) {
        for (int c0 = 0; c0 < wPad; c0 += NR) {
            int cols = Math.max(0, Math.min(NR, w - c0));
            int panel = c0 * n;
            for (int j = 0; j < n; j++) {
                System.arraycopy(values, j * w + c0, dst, panel + j * NR, cols);
                if (cols < NR) {
                    Arrays.fill(dst, panel + j * NR + cols, panel + j * NR + NR, 0f);
                }
            }
        }
    }

    /**
     * Adds the mask row {@code m} (when {@code hasMask}) to scores {@code a[base, base + limit)} and
     * returns their largest; the keys past {@code limit} are the caller's.
     */
    private static float maskVector(float[] a, int base, int limit, boolean hasMask, float[] m) {
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (int bound = S.loopBound(limit); j < bound; j += VL) {
            FloatVector x = FloatVector.fromArray(S, a, base + j);
            if (hasMask) {
                x = x.add(FloatVector.fromArray(S, m, j));
                x.intoArray(a, base + j);
            }
            vmax = vmax.blend(x, x.compare(VectorOperators.GT, vmax)); // not max(): Java's NaN rules cost 5 ops
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; j < limit; j++) {
            float s = hasMask ? a[base + j] + m[j] : a[base + j];
            a[base + j] = s;
            max = Math.max(max, s);
        }
        return max;
    }

    /** {@link #maskVector} for softcaps, bool masks and strided masks, one score at a time. */
    private static float maskScalar(
            float[] a,
            int base,
            int limit,
            float softcap,
            boolean hasMask,
            MemorySegment mask,
            boolean boolMask,
            long maskRow,
            long mj) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < limit; j++) {
            float s = Attention.capAndMask(a[base + j], softcap, hasMask, mask, boolMask, maskRow + j * mj);
            a[base + j] = s;
            max = Math.max(max, s);
        }
        return max;
    }
}
