package fsc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled inner loops of {@link AttentionHeads}: the scores tile ({@link
 * AttentionHeads#MR} rows × two vectors, with the scale, mask and row max in its epilogue), the
 * {@code p·v} tile (four rows × two vectors), and the softmax's exp. Each method keeps its vectors
 * to itself: a vector handed to a call that is not inlined is boxed on the heap.
 */
final class AttentionMicroKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final int MR = AttentionHeads.MR;
    private static final int NR = AttentionHeads.NR;

    private AttentionMicroKernels() {}

    /**
     * {@code sc[r][j] = scale · Σ_e q[r][e]·k[j][e] + m[j]} for the {@link #MR} rows of the interleaved
     * block at {@code q[qOff]} ({@code [d][MR]}) and the keys of {@code panels} key panels ({@code
     * [d][NR]} each); {@code sc}'s row stride is {@code ld}. Both operands advance by a constant
     * stride, so the loop carries one index and no range check (C2 eliminates them), and the eight
     * broadcasts read consecutive floats. {@code rowMax[r·VL, (r+1)·VL)} gets the lane-wise max of
     * row {@code r}'s scores (with a mask row of -∞ past the last key, the max over the real keys),
     * so the softmax needs no separate pass to find it. Compare-and-blend rather than {@code max}:
     * Java's NaN and signed-zero rules make {@code max} five instructions a vector.
     */
    static void scores(
            float[] q,
            int qOff,
            float[] k,
            int d,
            int panels,
            float[] sc,
            int ld,
            float scale,
            float[] m,
            float[] rowMax) {
        FloatVector s = FloatVector.broadcast(S, scale);
        for (int r = 0; r < MR; r++) {
            FloatVector.broadcast(S, Float.NEGATIVE_INFINITY).intoArray(rowMax, r * VL);
        }
        for (int jt = 0; jt < panels; jt++) {
            FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
            FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
            FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
            FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
            FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
            FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
            FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
            FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
            int kBase = jt * d * NR;
            int dEven = d & ~1;
            // Two steps of e per iteration: C2 does not unroll a loop body this large. Indices are
            // the loop variable times a constant, the form C2's range-check elimination needs (an
            // index bumped by its own increment kept a check on every load).
            for (int e = 0; e < dEven; e += 2) {
                int kb = kBase + e * NR;
                int qa = qOff + e * MR;
                FloatVector b0, b1, a;
                b0 = FloatVector.fromArray(S, k, kb);
                b1 = FloatVector.fromArray(S, k, kb + VL);
                a = FloatVector.broadcast(S, q[qa]);
                c00 = b0.fma(a, c00);
                c01 = b1.fma(a, c01);
                a = FloatVector.broadcast(S, q[qa + 1]);
                c10 = b0.fma(a, c10);
                c11 = b1.fma(a, c11);
                a = FloatVector.broadcast(S, q[qa + 2]);
                c20 = b0.fma(a, c20);
                c21 = b1.fma(a, c21);
                a = FloatVector.broadcast(S, q[qa + 3]);
                c30 = b0.fma(a, c30);
                c31 = b1.fma(a, c31);
                a = FloatVector.broadcast(S, q[qa + 4]);
                c40 = b0.fma(a, c40);
                c41 = b1.fma(a, c41);
                a = FloatVector.broadcast(S, q[qa + 5]);
                c50 = b0.fma(a, c50);
                c51 = b1.fma(a, c51);
                a = FloatVector.broadcast(S, q[qa + 6]);
                c60 = b0.fma(a, c60);
                c61 = b1.fma(a, c61);
                a = FloatVector.broadcast(S, q[qa + 7]);
                c70 = b0.fma(a, c70);
                c71 = b1.fma(a, c71);
                b0 = FloatVector.fromArray(S, k, kb + NR);
                b1 = FloatVector.fromArray(S, k, kb + NR + VL);
                a = FloatVector.broadcast(S, q[qa + MR]);
                c00 = b0.fma(a, c00);
                c01 = b1.fma(a, c01);
                a = FloatVector.broadcast(S, q[qa + MR + 1]);
                c10 = b0.fma(a, c10);
                c11 = b1.fma(a, c11);
                a = FloatVector.broadcast(S, q[qa + MR + 2]);
                c20 = b0.fma(a, c20);
                c21 = b1.fma(a, c21);
                a = FloatVector.broadcast(S, q[qa + MR + 3]);
                c30 = b0.fma(a, c30);
                c31 = b1.fma(a, c31);
                a = FloatVector.broadcast(S, q[qa + MR + 4]);
                c40 = b0.fma(a, c40);
                c41 = b1.fma(a, c41);
                a = FloatVector.broadcast(S, q[qa + MR + 5]);
                c50 = b0.fma(a, c50);
                c51 = b1.fma(a, c51);
                a = FloatVector.broadcast(S, q[qa + MR + 6]);
                c60 = b0.fma(a, c60);
                c61 = b1.fma(a, c61);
                a = FloatVector.broadcast(S, q[qa + MR + 7]);
                c70 = b0.fma(a, c70);
                c71 = b1.fma(a, c71);
            }
            if (dEven < d) { // odd d: the last step alone
                int kb = kBase + dEven * NR;
                int qa = qOff + dEven * MR;
                FloatVector b0, b1, a;
                b0 = FloatVector.fromArray(S, k, kb);
                b1 = FloatVector.fromArray(S, k, kb + VL);
                a = FloatVector.broadcast(S, q[qa]);
                c00 = b0.fma(a, c00);
                c01 = b1.fma(a, c01);
                a = FloatVector.broadcast(S, q[qa + 1]);
                c10 = b0.fma(a, c10);
                c11 = b1.fma(a, c11);
                a = FloatVector.broadcast(S, q[qa + 2]);
                c20 = b0.fma(a, c20);
                c21 = b1.fma(a, c21);
                a = FloatVector.broadcast(S, q[qa + 3]);
                c30 = b0.fma(a, c30);
                c31 = b1.fma(a, c31);
                a = FloatVector.broadcast(S, q[qa + 4]);
                c40 = b0.fma(a, c40);
                c41 = b1.fma(a, c41);
                a = FloatVector.broadcast(S, q[qa + 5]);
                c50 = b0.fma(a, c50);
                c51 = b1.fma(a, c51);
                a = FloatVector.broadcast(S, q[qa + 6]);
                c60 = b0.fma(a, c60);
                c61 = b1.fma(a, c61);
                a = FloatVector.broadcast(S, q[qa + 7]);
                c70 = b0.fma(a, c70);
                c71 = b1.fma(a, c71);
            }
            int at = jt * NR;
            FloatVector m0 = FloatVector.fromArray(S, m, at);
            FloatVector m1 = FloatVector.fromArray(S, m, at + VL);
            c00 = c00.fma(s, m0);
            c01 = c01.fma(s, m1);
            c00.intoArray(sc, at);
            c01.intoArray(sc, at + VL);
            c00 = c00.blend(c01, c01.compare(VectorOperators.GT, c00));
            c01 = FloatVector.fromArray(S, rowMax, 0 * VL);
            c01.blend(c00, c00.compare(VectorOperators.GT, c01)).intoArray(rowMax, 0 * VL);
            c10 = c10.fma(s, m0);
            c11 = c11.fma(s, m1);
            c10.intoArray(sc, ld + at);
            c11.intoArray(sc, ld + at + VL);
            c10 = c10.blend(c11, c11.compare(VectorOperators.GT, c10));
            c11 = FloatVector.fromArray(S, rowMax, 1 * VL);
            c11.blend(c10, c10.compare(VectorOperators.GT, c11)).intoArray(rowMax, 1 * VL);
            c20 = c20.fma(s, m0);
            c21 = c21.fma(s, m1);
            c20.intoArray(sc, 2 * ld + at);
            c21.intoArray(sc, 2 * ld + at + VL);
            c20 = c20.blend(c21, c21.compare(VectorOperators.GT, c20));
            c21 = FloatVector.fromArray(S, rowMax, 2 * VL);
            c21.blend(c20, c20.compare(VectorOperators.GT, c21)).intoArray(rowMax, 2 * VL);
            c30 = c30.fma(s, m0);
            c31 = c31.fma(s, m1);
            c30.intoArray(sc, 3 * ld + at);
            c31.intoArray(sc, 3 * ld + at + VL);
            c30 = c30.blend(c31, c31.compare(VectorOperators.GT, c30));
            c31 = FloatVector.fromArray(S, rowMax, 3 * VL);
            c31.blend(c30, c30.compare(VectorOperators.GT, c31)).intoArray(rowMax, 3 * VL);
            c40 = c40.fma(s, m0);
            c41 = c41.fma(s, m1);
            c40.intoArray(sc, 4 * ld + at);
            c41.intoArray(sc, 4 * ld + at + VL);
            c40 = c40.blend(c41, c41.compare(VectorOperators.GT, c40));
            c41 = FloatVector.fromArray(S, rowMax, 4 * VL);
            c41.blend(c40, c40.compare(VectorOperators.GT, c41)).intoArray(rowMax, 4 * VL);
            c50 = c50.fma(s, m0);
            c51 = c51.fma(s, m1);
            c50.intoArray(sc, 5 * ld + at);
            c51.intoArray(sc, 5 * ld + at + VL);
            c50 = c50.blend(c51, c51.compare(VectorOperators.GT, c50));
            c51 = FloatVector.fromArray(S, rowMax, 5 * VL);
            c51.blend(c50, c50.compare(VectorOperators.GT, c51)).intoArray(rowMax, 5 * VL);
            c60 = c60.fma(s, m0);
            c61 = c61.fma(s, m1);
            c60.intoArray(sc, 6 * ld + at);
            c61.intoArray(sc, 6 * ld + at + VL);
            c60 = c60.blend(c61, c61.compare(VectorOperators.GT, c60));
            c61 = FloatVector.fromArray(S, rowMax, 6 * VL);
            c61.blend(c60, c60.compare(VectorOperators.GT, c61)).intoArray(rowMax, 6 * VL);
            c70 = c70.fma(s, m0);
            c71 = c71.fma(s, m1);
            c70.intoArray(sc, 7 * ld + at);
            c71.intoArray(sc, 7 * ld + at + VL);
            c70 = c70.blend(c71, c71.compare(VectorOperators.GT, c70));
            c71 = FloatVector.fromArray(S, rowMax, 7 * VL);
            c71.blend(c70, c70.compare(VectorOperators.GT, c71)).intoArray(rowMax, 7 * VL);
        }
    }

    /**
     * {@code o[row0 + r0 + r][e] = inv[r0 + r] · Σ_{j < keys} p[r][j]·v[j][e]} for the four rows of {@code p}
     * at {@code pOff} (row stride {@code ldp}) and the columns of {@code panels} value panels ({@code
     * [n][NR]} each, {@code n} keys); {@code o}'s row stride is {@code ldo}. Four rows, not eight:
     * eight rows of {@code p} need eight index registers, which C2 spills to vector registers and
     * reloads with {@code vmovq} on the FMA ports; eight accumulators still cover the FMA latency.
     */
    static void values(
            float[] p,
            int pOff,
            int ldp,
            float[] v,
            int n,
            int keys,
            int panels,
            float[] o,
            int ldo,
            float[] inv,
            int row0,
            int r0) {
        float i0 = inv[r0], i1 = inv[r0 + 1], i2 = inv[r0 + 2], i3 = inv[r0 + 3];
        int p0 = pOff, p1 = pOff + ldp, p2 = pOff + 2 * ldp, p3 = pOff + 3 * ldp;
        for (int et = 0; et < panels; et++) {
            FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
            FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
            FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
            FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
            int vBase = et * n * NR;
            int keysEven = keys & ~1;
            for (int j = 0; j < keysEven; j += 2) { // two keys per iteration, indexed as in scores
                int vb = vBase + j * NR;
                FloatVector b0, b1, a;
                b0 = FloatVector.fromArray(S, v, vb);
                b1 = FloatVector.fromArray(S, v, vb + VL);
                a = FloatVector.broadcast(S, p[p0 + j]);
                c00 = b0.fma(a, c00);
                c01 = b1.fma(a, c01);
                a = FloatVector.broadcast(S, p[p1 + j]);
                c10 = b0.fma(a, c10);
                c11 = b1.fma(a, c11);
                a = FloatVector.broadcast(S, p[p2 + j]);
                c20 = b0.fma(a, c20);
                c21 = b1.fma(a, c21);
                a = FloatVector.broadcast(S, p[p3 + j]);
                c30 = b0.fma(a, c30);
                c31 = b1.fma(a, c31);
                b0 = FloatVector.fromArray(S, v, vb + NR);
                b1 = FloatVector.fromArray(S, v, vb + NR + VL);
                a = FloatVector.broadcast(S, p[p0 + j + 1]);
                c00 = b0.fma(a, c00);
                c01 = b1.fma(a, c01);
                a = FloatVector.broadcast(S, p[p1 + j + 1]);
                c10 = b0.fma(a, c10);
                c11 = b1.fma(a, c11);
                a = FloatVector.broadcast(S, p[p2 + j + 1]);
                c20 = b0.fma(a, c20);
                c21 = b1.fma(a, c21);
                a = FloatVector.broadcast(S, p[p3 + j + 1]);
                c30 = b0.fma(a, c30);
                c31 = b1.fma(a, c31);
            }
            if (keysEven < keys) {
                int j = keysEven;
                int vb = vBase + j * NR;
                FloatVector b0, b1, a;
                b0 = FloatVector.fromArray(S, v, vb);
                b1 = FloatVector.fromArray(S, v, vb + VL);
                a = FloatVector.broadcast(S, p[p0 + j]);
                c00 = b0.fma(a, c00);
                c01 = b1.fma(a, c01);
                a = FloatVector.broadcast(S, p[p1 + j]);
                c10 = b0.fma(a, c10);
                c11 = b1.fma(a, c11);
                a = FloatVector.broadcast(S, p[p2 + j]);
                c20 = b0.fma(a, c20);
                c21 = b1.fma(a, c21);
                a = FloatVector.broadcast(S, p[p3 + j]);
                c30 = b0.fma(a, c30);
                c31 = b1.fma(a, c31);
            }
            int at = (row0 + r0) * ldo + et * NR;
            c00.mul(i0).intoArray(o, at);
            c01.mul(i0).intoArray(o, at + VL);
            c10.mul(i1).intoArray(o, ldo + at);
            c11.mul(i1).intoArray(o, ldo + at + VL);
            c20.mul(i2).intoArray(o, 2 * ldo + at);
            c21.mul(i2).intoArray(o, 2 * ldo + at + VL);
            c30.mul(i3).intoArray(o, 3 * ldo + at);
            c31.mul(i3).intoArray(o, 3 * ldo + at + VL);
        }
    }

    // exp on [LO, 0] for softmax: n = round(x·log2 e) by the 1.5·2^23 shifter, r = x − n·ln 2 (ln 2
    // split hi + lo, as in VectorExp), e^r by a degree-5 polynomial fitted for relative error on
    // |r| ≤ ln2/2 (max 1.7e-7 evaluated in float, against VectorExp's degree 7), and 2^n added to
    // the exponent bits: the shifter's bits shifted left by 23 vanish, so t's bits << 23 are n << 23.
    // Inputs are x − max ≤ 0; below LO (e^x < 1.7e-38, nothing next to the row max's 1) the result
    // is 0, as for a masked key, and the clamp keeps 2^n a normal float for the lanes computed. Half the operations of
    // VectorExp.exp, which costs as much as
    // one of the two products per score at 16 lanes.
    static final float LO = -87f;
    static final float E1 = 0.99999970f;
    static final float E2 = 0.49999151f;
    static final float E3 = 0.16667636f;
    static final float E4 = 0.041897934f;
    static final float E5 = 0.0082903160f;

    /**
     * Replaces {@code a[off, off + n)} by {@code e^(a[i] − shift)} and returns their sum; every
     * lane and the scalar tail take the same IEEE steps, so every JIT tier gives the same bits. The
     * exp is written out in the loop: a vector passed to a call is boxed unless the call is inlined.
     */
    static float expShiftedSum(float[] a, int off, int n, float shift) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += VL) {
            FloatVector x = FloatVector.fromArray(S, a, off + i).sub(shift);
            VectorMask<Float> under = x.lt(LO);
            x = x.blend(LO, under);
            FloatVector t = x.fma(VectorExp.LOG2E, VectorExp.SHIFTER);
            FloatVector m = t.sub(VectorExp.SHIFTER);
            FloatVector r = m.fma(x.broadcast(-VectorExp.LN2_HI), x);
            r = m.fma(x.broadcast(-VectorExp.LN2_LO), r);
            FloatVector y = r.fma(E5, E4);
            y = y.fma(r, x.broadcast(E3));
            y = y.fma(r, x.broadcast(E2));
            y = y.fma(r, x.broadcast(E1));
            y = y.fma(r, x.broadcast(1f));
            FloatVector e = y.reinterpretAsInts()
                    .add(t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23))
                    .reinterpretAsFloats()
                    .blend(0f, under);
            e.intoArray(a, off + i);
            acc = acc.add(e);
        }
        for (int h = VL / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(Lanes.ROTATE[h]));
        }
        float sum = acc.lane(0);
        for (; i < n; i++) {
            float e = exp(a[off + i] - shift);
            a[off + i] = e;
            sum += e;
        }
        return sum;
    }

    /** One lane of {@link #expShiftedSum}'s exp, by the same steps. */
    static float exp(float x) {
        if (x < LO) {
            return 0f;
        }
        float t = Math.fma(x, VectorExp.LOG2E, VectorExp.SHIFTER);
        float m = t - VectorExp.SHIFTER;
        float r = Math.fma(m, -VectorExp.LN2_HI, x);
        r = Math.fma(m, -VectorExp.LN2_LO, r);
        float y = Math.fma(r, E5, E4);
        y = Math.fma(y, r, E3);
        y = Math.fma(y, r, E2);
        y = Math.fma(y, r, E1);
        y = Math.fma(y, r, 1f);
        return Float.intBitsToFloat(Float.floatToRawIntBits(y) + (Float.floatToRawIntBits(t) << 23));
    }
}
