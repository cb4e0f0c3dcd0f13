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
 * <p>All vectors stay inside the method that creates them (a vector crossing a call that is not
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

    private static final ThreadLocal<Tiles> TILES = ThreadLocal.withInitial(Tiles::new);

    /** One thread's tiles, grown on demand and reused. */
    private static final class Tiles {
        float[] q = new float[0]; // [sqPad][d], rows past sq zero
        float[] kt = new float[0]; // [d][skvPad], columns past skv zero
        float[] v = new float[0]; // [skv][dvPad], columns past dv zero
        float[] sc = new float[0]; // [MR][skvPad] scores, then probabilities
        float[] o = new float[0]; // [MR][dvPad] output block
        float[] row = new float[0]; // one k row / one mask row
        final float[] inv = new float[MR]; // 1/Σ per row of the block, 0 for a row that attends nothing

        void fit(int sqPad, int skvPad, int d, int skv, int dvPad) {
            q = grow(q, sqPad * d);
            kt = grow(kt, d * skvPad);
            v = grow(v, skv * dvPad);
            sc = grow(sc, MR * skvPad);
            o = grow(o, MR * dvPad);
            row = grow(row, Math.max(d, skvPad));
        }

        private static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }

    private AttentionHeads() {}

    /** {@code n} rounded up to a multiple of {@code m}. */
    private static int roundUp(int n, int m) {
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
        int sqPad = roundUp(sq, MR);
        int skvPad = roundUp(skv, NR);
        int dvPad = roundUp(dv, NR);
        Tiles t = TILES.get();
        t.fit(sqPad, skvPad, d, skv, dvPad);
        int group = hq / hkv;
        boolean hasMask = mask.byteSize() > 0;
        // The encoder case in vectors: no cap, additive mask contiguous along keys (or none).
        boolean vectorRows = softcap == 0 && !boolMask && (!hasMask || mj == 1);
        long lastKv = -1;
        for (int head = from; head < to; head++) {
            int bi = head / hq;
            int h = head % hq;
            long kvHead = (long) bi * hkv + h / group;
            copyRows(q, layout & Q_SEQ_MAJOR, bi, h, hq, sq, d, t.q, d);
            Arrays.fill(t.q, sq * d, sqPad * d, 0f);
            if (kvHead != lastKv) { // grouped-query heads share their k and v
                copyKeysTransposed(k, layout & K_SEQ_MAJOR, bi, h / group, hkv, skv, d, t.kt, skvPad, t.row);
                copyRows(v, layout & V_SEQ_MAJOR, bi, h / group, hkv, skv, dv, t.v, dvPad);
                lastKv = kvHead;
            }
            long oRow = (layout & OUT_SEQ_MAJOR) != 0 ? (long) hq * dv : dv;
            long oHead = (layout & OUT_SEQ_MAJOR) != 0 ? dv : (long) sq * dv;
            long oBase = ((long) bi * hq * sq * dv + h * oHead) * Float.BYTES;
            long maskHead = bi * mb + h * mh;
            if (vectorRows && hasMask && mi == 0) { // one mask row for every query row: copy it once
                MemorySegment.copy(mask, F32, maskHead * Float.BYTES, t.row, 0, skv);
            }
            for (int i0 = 0; i0 < sqPad; i0 += MR) {
                scores(t.q, i0 * d, d, t.kt, skvPad, t.sc, scale);
                int rows = Math.min(MR, sq - i0);
                int keys = 0; // keys any row of the block attends: p·v stops there
                for (int r = 0; r < rows; r++) {
                    int i = i0 + r;
                    int limit = (int) Math.max(0, Math.min(skv, i + causal + 1)); // keys j < limit pass causal
                    keys = Math.max(keys, limit);
                    long maskRow = maskHead + i * mi;
                    if (vectorRows && hasMask && mi != 0) {
                        MemorySegment.copy(mask, F32, maskRow * Float.BYTES, t.row, 0, skv);
                    }
                    float max = vectorRows
                            ? maskVector(t.sc, r * skvPad, limit, hasMask, t.row)
                            : maskScalar(t.sc, r * skvPad, limit, softcap, hasMask, mask, boolMask, maskRow, mj);
                    int base = r * skvPad;
                    if (max == Float.NEGATIVE_INFINITY) { // every key masked: the row attends nothing
                        Arrays.fill(t.sc, base, base + skvPad, 0f);
                        t.inv[r] = 0f;
                    } else {
                        t.inv[r] = 1f / VectorExp.expShiftedSum(t.sc, base, limit, max);
                        Arrays.fill(t.sc, base + limit, base + skv, 0f); // causally excluded keys
                    }
                }
                for (int r = rows; r < MR; r++) { // padding rows: finite zeros, never stored
                    Arrays.fill(t.sc, r * skvPad, r * skvPad + skv, 0f);
                    t.inv[r] = 0f;
                }
                values(t.sc, skvPad, t.v, dvPad, keys, t.o, t.inv);
                for (int r = 0; r < rows; r++) {
                    MemorySegment.copy(t.o, r * dvPad, out, F32, oBase + (i0 + r) * oRow * Float.BYTES, dv);
                }
            }
        }
    }

    /**
     * Rows {@code [0, n)} of head {@code h} of a {@code [B,H,n,w]} (or, with {@code seqMajor},
     * {@code [B,n,H,w]}) tensor into {@code dst} at row stride {@code ld}; columns {@code [w, ld)}
     * are zeroed.
     */
    private static void copyRows(
            MemorySegment src, int seqMajor, int bi, int h, int heads, int n, int w, float[] dst, int ld) {
        long rowStride = seqMajor != 0 ? (long) heads * w : w;
        long base = (long) bi * heads * n * w + (long) h * (seqMajor != 0 ? w : (long) n * w);
        if (seqMajor == 0 && ld == w) {
            MemorySegment.copy(src, F32, base * Float.BYTES, dst, 0, n * w);
            return;
        }
        for (int j = 0; j < n; j++) {
            MemorySegment.copy(src, F32, (base + j * rowStride) * Float.BYTES, dst, j * ld, w);
            if (ld > w) {
                Arrays.fill(dst, j * ld + w, j * ld + ld, 0f);
            }
        }
    }

    /** Keys of head {@code h} as {@code kt[e][j]} (row stride {@code ld}), columns past {@code skv} zero. */
    private static void copyKeysTransposed(
            MemorySegment k, int seqMajor, int bi, int h, int heads, int skv, int d, float[] kt, int ld, float[] row) {
        long rowStride = seqMajor != 0 ? (long) heads * d : d;
        long base = (long) bi * heads * skv * d + (long) h * (seqMajor != 0 ? d : (long) skv * d);
        for (int j = 0; j < skv; j++) {
            MemorySegment.copy(k, F32, (base + j * rowStride) * Float.BYTES, row, 0, d);
            for (int e = 0; e < d; e++) {
                kt[e * ld + j] = row[e];
            }
        }
        for (int e = 0; e < d; e++) {
            Arrays.fill(kt, e * ld + skv, e * ld + ld, 0f);
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
            vmax = vmax.max(x);
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

    /**
     * {@code sc[r][j] = scale · Σ_e q[r][e]·kt[e][j]} for the {@link #MR} rows at {@code q[qOff]}
     * (row stride {@code d}) and every column of {@code kt} (row stride {@code ld}, a multiple of
     * {@link #NR}); {@code sc}'s row stride is {@code ld} too.
     */
    private static void scores(float[] q, int qOff, int d, float[] kt, int ld, float[] sc, float scale) {
        for (int jb = 0; jb < ld; jb += NR) {
            FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
            FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
            FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
            FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
            FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
            FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
            FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
            FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
            int kb = jb;
            for (int e = 0; e < d; e++, kb += ld) {
                FloatVector b0 = FloatVector.fromArray(S, kt, kb);
                FloatVector b1 = FloatVector.fromArray(S, kt, kb + VL);
                int qa = qOff + e;
                FloatVector a = FloatVector.broadcast(S, q[qa]);
                c00 = b0.fma(a, c00);
                c01 = b1.fma(a, c01);
                a = FloatVector.broadcast(S, q[qa + d]);
                c10 = b0.fma(a, c10);
                c11 = b1.fma(a, c11);
                a = FloatVector.broadcast(S, q[qa + 2 * d]);
                c20 = b0.fma(a, c20);
                c21 = b1.fma(a, c21);
                a = FloatVector.broadcast(S, q[qa + 3 * d]);
                c30 = b0.fma(a, c30);
                c31 = b1.fma(a, c31);
                a = FloatVector.broadcast(S, q[qa + 4 * d]);
                c40 = b0.fma(a, c40);
                c41 = b1.fma(a, c41);
                a = FloatVector.broadcast(S, q[qa + 5 * d]);
                c50 = b0.fma(a, c50);
                c51 = b1.fma(a, c51);
                a = FloatVector.broadcast(S, q[qa + 6 * d]);
                c60 = b0.fma(a, c60);
                c61 = b1.fma(a, c61);
                a = FloatVector.broadcast(S, q[qa + 7 * d]);
                c70 = b0.fma(a, c70);
                c71 = b1.fma(a, c71);
            }
            c00.mul(scale).intoArray(sc, jb);
            c01.mul(scale).intoArray(sc, jb + VL);
            c10.mul(scale).intoArray(sc, ld + jb);
            c11.mul(scale).intoArray(sc, ld + jb + VL);
            c20.mul(scale).intoArray(sc, 2 * ld + jb);
            c21.mul(scale).intoArray(sc, 2 * ld + jb + VL);
            c30.mul(scale).intoArray(sc, 3 * ld + jb);
            c31.mul(scale).intoArray(sc, 3 * ld + jb + VL);
            c40.mul(scale).intoArray(sc, 4 * ld + jb);
            c41.mul(scale).intoArray(sc, 4 * ld + jb + VL);
            c50.mul(scale).intoArray(sc, 5 * ld + jb);
            c51.mul(scale).intoArray(sc, 5 * ld + jb + VL);
            c60.mul(scale).intoArray(sc, 6 * ld + jb);
            c61.mul(scale).intoArray(sc, 6 * ld + jb + VL);
            c70.mul(scale).intoArray(sc, 7 * ld + jb);
            c71.mul(scale).intoArray(sc, 7 * ld + jb + VL);
        }
    }

    /**
     * {@code o[r][e] = inv[r] · Σ_{j < keys} p[r][j]·v[j][e]} for the {@link #MR} rows of {@code p}
     * (row stride {@code ldp}) and every column of {@code v} (row stride {@code ldv}, a multiple of
     * {@link #NR}); {@code o}'s row stride is {@code ldv}.
     */
    private static void values(float[] p, int ldp, float[] v, int ldv, int keys, float[] o, float[] inv) {
        for (int eb = 0; eb < ldv; eb += NR) {
            FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
            FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
            FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
            FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
            FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
            FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
            FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
            FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
            int vb = eb;
            for (int j = 0; j < keys; j++, vb += ldv) {
                FloatVector b0 = FloatVector.fromArray(S, v, vb);
                FloatVector b1 = FloatVector.fromArray(S, v, vb + VL);
                FloatVector a = FloatVector.broadcast(S, p[j]);
                c00 = b0.fma(a, c00);
                c01 = b1.fma(a, c01);
                a = FloatVector.broadcast(S, p[ldp + j]);
                c10 = b0.fma(a, c10);
                c11 = b1.fma(a, c11);
                a = FloatVector.broadcast(S, p[2 * ldp + j]);
                c20 = b0.fma(a, c20);
                c21 = b1.fma(a, c21);
                a = FloatVector.broadcast(S, p[3 * ldp + j]);
                c30 = b0.fma(a, c30);
                c31 = b1.fma(a, c31);
                a = FloatVector.broadcast(S, p[4 * ldp + j]);
                c40 = b0.fma(a, c40);
                c41 = b1.fma(a, c41);
                a = FloatVector.broadcast(S, p[5 * ldp + j]);
                c50 = b0.fma(a, c50);
                c51 = b1.fma(a, c51);
                a = FloatVector.broadcast(S, p[6 * ldp + j]);
                c60 = b0.fma(a, c60);
                c61 = b1.fma(a, c61);
                a = FloatVector.broadcast(S, p[7 * ldp + j]);
                c70 = b0.fma(a, c70);
                c71 = b1.fma(a, c71);
            }
            c00.mul(inv[0]).intoArray(o, eb);
            c01.mul(inv[0]).intoArray(o, eb + VL);
            c10.mul(inv[1]).intoArray(o, ldv + eb);
            c11.mul(inv[1]).intoArray(o, ldv + eb + VL);
            c20.mul(inv[2]).intoArray(o, 2 * ldv + eb);
            c21.mul(inv[2]).intoArray(o, 2 * ldv + eb + VL);
            c30.mul(inv[3]).intoArray(o, 3 * ldv + eb);
            c31.mul(inv[3]).intoArray(o, 3 * ldv + eb + VL);
            c40.mul(inv[4]).intoArray(o, 4 * ldv + eb);
            c41.mul(inv[4]).intoArray(o, 4 * ldv + eb + VL);
            c50.mul(inv[5]).intoArray(o, 5 * ldv + eb);
            c51.mul(inv[5]).intoArray(o, 5 * ldv + eb + VL);
            c60.mul(inv[6]).intoArray(o, 6 * ldv + eb);
            c61.mul(inv[6]).intoArray(o, 6 * ldv + eb + VL);
            c70.mul(inv[7]).intoArray(o, 7 * ldv + eb);
            c71.mul(inv[7]).intoArray(o, 7 * ldv + eb + VL);
        }
    }
}
