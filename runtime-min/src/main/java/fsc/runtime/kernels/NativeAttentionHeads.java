package fsc.runtime.kernels;

import fsc.runtime.x86.AttentionHeadKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * {@link AttentionHeads}' blocked attention in machine code ({@link AttentionHeadKernels}) for the
 * encoder case, on AVX-512 with 512-bit species (the width whose bits the machine code repeats): an
 * additive mask row shared by every query row (or none), no causal limit, no softcap. The operands
 * are staged and packed by {@link AttentionHeads}' own code, copied to native memory, and each head
 * is one call; the bits are the vector kernel's. {@link Attention} sends such heads here at every
 * size, small ones included, so a model's first call runs no attention in the interpreter.
 */
final class NativeAttentionHeads {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MR = AttentionHeads.MR;
    private static final int NR = AttentionHeads.NR;

    /** The machine code, or {@code null} where the Java kernels run. */
    private static final AttentionHeadKernels KERNELS = FloatVector.SPECIES_PREFERRED.length() == 16
                    && MR == AttentionHeadKernels.MR
                    && NR == AttentionHeadKernels.NR
            ? AttentionHeadKernels.loadIfSupported(new float[] {
                AttentionMicroKernels.LO,
                VectorExp.LOG2E,
                VectorExp.SHIFTER,
                -VectorExp.LN2_HI,
                -VectorExp.LN2_LO,
                AttentionMicroKernels.E1,
                AttentionMicroKernels.E2,
                AttentionMicroKernels.E3,
                AttentionMicroKernels.E4,
                AttentionMicroKernels.E5
            })
            : null;

    private static final KernelParams PARAMS = new KernelParams(AttentionHeadKernels.PARAMS);

    private static final ThreadLocal<Tiles> TILES = new ThreadLocal<>() {
        @Override
        protected Tiles initialValue() {
            return new Tiles();
        }
    };

    private NativeAttentionHeads() {}

    /** Whether the machine code runs here (for tests). */
    static boolean machineCode() {
        return KERNELS != null;
    }

    /** Whether the machine code takes heads with these arguments ({@link Attention#attend}'s). */
    static boolean applies(
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment mask,
            boolean boolMask,
            long mi,
            long mj,
            MemorySegment out,
            float softcap,
            long causal,
            int skv) {
        boolean hasMask = mask.byteSize() > 0;
        return KERNELS != null
                && softcap == 0
                && !boolMask
                && (!hasMask || (mj == 1 && mi == 0 && mask.isNative()))
                && causal >= skv - 1L
                && q.isNative()
                && k.isNative()
                && v.isNative()
                && out.isNative();
    }

    /** One thread's heap staging and native tiles, grown on demand and reused. */
    private static final class Tiles {
        float[] stage = new float[0];
        float[] q = new float[0];
        float[] k = new float[0];
        float[] v = new float[0];
        float[] o = new float[0];
        float[] mask = new float[0];
        MemorySegment nq = MemorySegment.NULL, nk = MemorySegment.NULL, nv = MemorySegment.NULL;
        MemorySegment nsc = MemorySegment.NULL, no = MemorySegment.NULL, nmask = MemorySegment.NULL;
        final MemorySegment scratch = Arena.ofAuto().allocate(MR * 64 + MR * 4 + 64, 64); // row maxima, 1/Σ, tail

        void fit(int sq, int sqPad, int skv, int skvPad, int d, int dv, int dvPad) {
            stage = grow(stage, Math.max(sq * d, skv * Math.max(d, dv)));
            q = grow(q, sqPad * d);
            k = grow(k, skvPad * d);
            v = grow(v, skv * dvPad);
            o = grow(o, sqPad * dvPad);
            mask = grow(mask, skvPad);
            nq = grow(nq, sqPad * d);
            nk = grow(nk, skvPad * d);
            nv = grow(nv, skv * dvPad);
            nsc = grow(nsc, MR * skvPad);
            no = grow(no, sqPad * dvPad);
            nmask = grow(nmask, skvPad);
        }

        private static float[] grow(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }

        private static MemorySegment grow(MemorySegment s, int floats) {
            return s.byteSize() >= 4L * floats ? s : Arena.ofAuto().allocate(4L * Math.max(floats, 16), 64);
        }
    }

    /** Heads {@code [from, to)}, as {@link AttentionHeads#heads} computes them; the caller has checked {@link #applies}. */
    static void heads(
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment mask,
            long mb,
            long mh,
            MemorySegment out,
            int hq,
            int hkv,
            int sq,
            int skv,
            int d,
            int dv,
            float scale,
            int layout,
            int from,
            int to) {
        int sqPad = AttentionHeads.roundUp(sq, MR);
        int skvPad = AttentionHeads.roundUp(skv, NR);
        int dvPad = AttentionHeads.roundUp(dv, NR);
        Tiles t = TILES.get();
        t.fit(sq, sqPad, skv, skvPad, d, dv, dvPad);
        boolean hasMask = mask.byteSize() > 0;
        int group = hq / hkv;
        KernelParams.Block block = PARAMS.get();
        params(block.values, t, sqPad, skv, skvPad, d, dvPad, scale);
        long params = block.publish();
        long lastKv = -1;
        long lastMask = -1;
        for (int head = from; head < to; head++) {
            int bi = head / hq;
            int h = head % hq;
            long kvHead = (long) bi * hkv + h / group;
            AttentionHeads.stage(q, (layout & AttentionHeads.Q_SEQ_MAJOR) != 0, bi, h, hq, sq, d, t.stage, true);
            AttentionHeads.packRowBlocks(t.stage, sq, sqPad, d, t.q);
            MemorySegment.copy(t.q, 0, t.nq, F32, 0, sqPad * d);
            if (kvHead != lastKv) { // grouped-query heads share their k and v
                AttentionHeads.stage(
                        k, (layout & AttentionHeads.K_SEQ_MAJOR) != 0, bi, h / group, hkv, skv, d, t.stage, true);
                AttentionHeads.packKeyPanels(t.stage, skv, skvPad, d, t.k);
                MemorySegment.copy(t.k, 0, t.nk, F32, 0, skvPad * d);
                AttentionHeads.stage(
                        v, (layout & AttentionHeads.V_SEQ_MAJOR) != 0, bi, h / group, hkv, skv, dv, t.stage, true);
                AttentionHeads.packValuePanels(t.stage, skv, dv, dvPad, t.v);
                MemorySegment.copy(t.v, 0, t.nv, F32, 0, skv * dvPad);
                lastKv = kvHead;
            }
            long maskHead = hasMask ? bi * mb + h * mh : 0;
            if (maskHead != lastMask) { // the mask row of the head (a padding mask: one per sequence)
                if (hasMask) {
                    MemorySegment.copy(mask, F32, maskHead * Float.BYTES, t.mask, 0, skv);
                } else {
                    Arrays.fill(t.mask, 0, skv, 0f);
                }
                Arrays.fill(t.mask, skv, skvPad, Float.NEGATIVE_INFINITY);
                MemorySegment.copy(t.mask, 0, t.nmask, F32, 0, skvPad);
                lastMask = maskHead;
            }
            KERNELS.run(params);
            MemorySegment.copy(t.no, F32, 0, t.o, 0, sqPad * dvPad);
            AttentionHeads.unstage(
                    t.o, dvPad, out, (layout & AttentionHeads.OUT_SEQ_MAJOR) != 0, bi, h, hq, sq, dv, true);
        }
    }

    /** The parameter block of every head of a call, into {@code p}. */
    private static void params(long[] p, Tiles t, int sqPad, int skv, int skvPad, int d, int dvPad, float scale) {
        p[AttentionHeadKernels.Q] = t.nq.address();
        p[AttentionHeadKernels.K] = t.nk.address();
        p[AttentionHeadKernels.V] = t.nv.address();
        p[AttentionHeadKernels.SC] = t.nsc.address();
        p[AttentionHeadKernels.O] = t.no.address();
        p[AttentionHeadKernels.MASK] = t.nmask.address();
        p[AttentionHeadKernels.ROW_MAX] = t.scratch.address();
        p[AttentionHeadKernels.INV] = t.scratch.address() + MR * 64;
        p[AttentionHeadKernels.TMP] = t.scratch.address() + MR * 64 + 64;
        p[AttentionHeadKernels.D] = d;
        p[AttentionHeadKernels.PANELS] = skvPad / NR;
        p[AttentionHeadKernels.LD] = 4L * skvPad;
        p[AttentionHeadKernels.BLOCKS] = sqPad / MR;
        p[AttentionHeadKernels.KEY_VECTORS] = skv / 16;
        p[AttentionHeadKernels.KEY_TAIL] = skv % 16;
        p[AttentionHeadKernels.KEYS] = skv;
        p[AttentionHeadKernels.V_PANELS] = dvPad / NR;
        p[AttentionHeadKernels.LDO] = 4L * dvPad;
        p[AttentionHeadKernels.SCALE] = Float.floatToRawIntBits(scale) & 0xffffffffL;
        p[AttentionHeadKernels.CONSTANTS] = KERNELS.constants();
        p[AttentionHeadKernels.V_PANEL] = 4L * skv * NR;
        p[AttentionHeadKernels.Q_BLOCK] = 4L * d * MR;
        p[AttentionHeadKernels.K_PANEL] = 4L * d * NR;
        p[AttentionHeadKernels.O_BLOCK] = 4L * MR * dvPad;
        p[AttentionHeadKernels.ROWS] = MR;
    }
}
