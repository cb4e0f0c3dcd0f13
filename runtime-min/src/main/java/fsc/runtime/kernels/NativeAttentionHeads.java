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
 * additive mask row shared by every query row (or none), no causal limit, no softcap. One call
 * takes the heads of a sequence: per head it packs the operands from where they are into this
 * thread's native tiles, computes, and writes the output rows; the bits are the vector kernel's. {@link Attention} sends such heads here at every
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
            ? AttentionHeadKernels.loadIfSupported()
            : null;

    /** The kernel's constants: {@link AttentionMicroKernels#expShiftedSum}'s exp, whose bits it repeats. */
    private static final MemorySegment CONSTANTS = KERNELS == null
            ? null
            : AttentionHeadKernels.constants(new float[] {
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
            });

    /** Byte offsets in a thread's scratch: the 1/Σ of the block's rows after their lane maxima, then the tail. */
    private static final int INV_AT = MR * 64, TMP_AT = INV_AT + 64;

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

    /** One thread's native tiles and mask row, grown on demand and reused. */
    private static final class Tiles {
        float[] mask = new float[0];
        MemorySegment nq = MemorySegment.NULL, nk = MemorySegment.NULL, nv = MemorySegment.NULL;
        MemorySegment nsc = MemorySegment.NULL, no = MemorySegment.NULL, nmask = MemorySegment.NULL;
        /** The rows' lane maxima ({@link #INV_AT} bytes), their 1/Σ (64 bytes), the exp tail's vector (64 bytes). */
        final MemorySegment scratch = Arena.ofAuto().allocate(TMP_AT + 64, 64);

        void fit(int sqPad, int skv, int skvPad, int d, int dvPad) {
            mask = mask.length >= skvPad ? mask : new float[skvPad];
            nq = grow(nq, sqPad * d);
            nk = grow(nk, skvPad * d);
            nv = grow(nv, skv * dvPad);
            nsc = grow(nsc, MR * skvPad);
            no = grow(no, sqPad * dvPad);
            nmask = grow(nmask, skvPad);
        }

        /** At least {@code floats} floats, whole 64-byte vectors (the kernel zeroes tiles by vectors). */
        private static MemorySegment grow(MemorySegment s, int floats) {
            long bytes = vectors(floats) * 64;
            return s.byteSize() >= bytes ? s : Arena.ofAuto().allocate(bytes, 64);
        }
    }

    private static long vectors(int floats) {
        return (floats + 15) / 16;
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
        long batches = (to + hq - 1) / hq;
        requireFloats(q, batches * hq * sq * d, "q");
        requireFloats(k, batches * hkv * skv * d, "k");
        requireFloats(v, batches * hkv * skv * dv, "v");
        requireFloats(out, batches * hq * sq * dv, "out");
        int sqPad = AttentionHeads.roundUp(sq, MR);
        int skvPad = AttentionHeads.roundUp(skv, NR);
        int dvPad = AttentionHeads.roundUp(dv, NR);
        Tiles t = TILES.get();
        t.fit(sqPad, skv, skvPad, d, dvPad);
        boolean hasMask = mask.byteSize() > 0;
        int group = hq / hkv;
        boolean qSeq = (layout & AttentionHeads.Q_SEQ_MAJOR) != 0;
        boolean kSeq = (layout & AttentionHeads.K_SEQ_MAJOR) != 0;
        boolean vSeq = (layout & AttentionHeads.V_SEQ_MAJOR) != 0;
        boolean oSeq = (layout & AttentionHeads.OUT_SEQ_MAJOR) != 0;
        KernelParams.Block block = PARAMS.get();
        long[] p = block.values;
        params(p, t, sq, sqPad, skv, skvPad, d, dv, dvPad, scale);
        p[AttentionHeadKernels.Q_ROW] = 4L * d * (qSeq ? hq : 1);
        p[AttentionHeadKernels.K_ROW] = 4L * d * (kSeq ? hkv : 1);
        p[AttentionHeadKernels.V_ROW] = 4L * dv * (vSeq ? hkv : 1);
        p[AttentionHeadKernels.OUT_ROW] = 4L * dv * (oSeq ? hq : 1);
        // From one head to the next in a sequence: a row of the head axis on (sequence-major), or a
        // whole head's rows (head-major).
        p[AttentionHeadKernels.Q_HEAD] = 4L * d * (qSeq ? 1 : sq);
        p[AttentionHeadKernels.OUT_HEAD] = 4L * dv * (oSeq ? 1 : sq);
        p[AttentionHeadKernels.K_HEAD] = 4L * d * (kSeq ? 1 : skv);
        p[AttentionHeadKernels.V_HEAD] = 4L * dv * (vSeq ? 1 : skv);
        p[AttentionHeadKernels.GROUP] = group;
        p[AttentionHeadKernels.ONE_SLOT] = 1;
        p[AttentionHeadKernels.ZERO_SLOT] = 0;
        long lastMask = -1;
        for (int head = from; head < to; ) {
            int bi = head / hq;
            int h = head % hq;
            // One call per sequence: its heads share the mask row unless the mask has one per head.
            int end = hasMask && mh != 0 ? head + 1 : Math.min(to, (bi + 1) * hq);
            long maskHead = hasMask ? bi * mb + h * mh : 0;
            if (maskHead != lastMask) {
                if (hasMask) {
                    MemorySegment.copy(mask, F32, maskHead * Float.BYTES, t.mask, 0, skv);
                } else {
                    Arrays.fill(t.mask, 0, skv, 0f);
                }
                Arrays.fill(t.mask, skv, skvPad, Float.NEGATIVE_INFINITY);
                MemorySegment.copy(t.mask, 0, t.nmask, F32, 0, skvPad);
                lastMask = maskHead;
            }
            int kvh = h / group;
            p[AttentionHeadKernels.Q_SRC] = q.address() + Attention.rowOffset(qSeq, bi, h, 0, hq, sq, d);
            p[AttentionHeadKernels.K_SRC] = k.address() + Attention.rowOffset(kSeq, bi, kvh, 0, hkv, skv, d);
            p[AttentionHeadKernels.V_SRC] = v.address() + Attention.rowOffset(vSeq, bi, kvh, 0, hkv, skv, dv);
            p[AttentionHeadKernels.OUT] = out.address() + Attention.rowOffset(oSeq, bi, h, 0, hq, sq, dv);
            p[AttentionHeadKernels.PACK_KV] = 1;
            p[AttentionHeadKernels.HEADS] = end - head;
            p[AttentionHeadKernels.GROUP_LEFT] = group - h % group;
            KERNELS.run(block.publish());
            head = end;
        }
    }

    private static void requireFloats(MemorySegment s, long floats, String what) {
        if (s.byteSize() < 4 * floats) {
            throw new IndexOutOfBoundsException(
                    "attention's " + what + " holds " + s.byteSize() + " bytes, the heads need " + 4 * floats);
        }
    }

    /** The parameter block's slots that every head of a call shares, into {@code p}. */
    private static void params(
            long[] p, Tiles t, int sq, int sqPad, int skv, int skvPad, int d, int dv, int dvPad, float scale) {
        p[AttentionHeadKernels.Q] = t.nq.address();
        p[AttentionHeadKernels.K] = t.nk.address();
        p[AttentionHeadKernels.V] = t.nv.address();
        p[AttentionHeadKernels.SC] = t.nsc.address();
        p[AttentionHeadKernels.O] = t.no.address();
        p[AttentionHeadKernels.MASK] = t.nmask.address();
        p[AttentionHeadKernels.ROW_MAX] = t.scratch.address();
        p[AttentionHeadKernels.INV] = t.scratch.address() + INV_AT;
        p[AttentionHeadKernels.TMP] = t.scratch.address() + TMP_AT;
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
        p[AttentionHeadKernels.CONSTANTS] = CONSTANTS.address();
        p[AttentionHeadKernels.V_PANEL] = 4L * skv * NR;
        p[AttentionHeadKernels.Q_BLOCK] = 4L * d * MR;
        p[AttentionHeadKernels.K_PANEL] = 4L * d * NR;
        p[AttentionHeadKernels.O_BLOCK] = 4L * MR * dvPad;
        p[AttentionHeadKernels.ROWS] = MR;
        p[AttentionHeadKernels.SQ] = sq;
        p[AttentionHeadKernels.DV] = dv;
        p[AttentionHeadKernels.PANEL_WIDTH] = NR;
        p[AttentionHeadKernels.Q_VECTORS] = vectors(sqPad * d);
        p[AttentionHeadKernels.K_VECTORS] = vectors(skvPad * d);
        p[AttentionHeadKernels.V_VECTORS] = vectors(skv * dvPad);
        p[AttentionHeadKernels.Q_STEP] = 4L * d * MR - 4 * MR;
        p[AttentionHeadKernels.K_STEP] = 4L * d * NR - 4 * NR;
        p[AttentionHeadKernels.V_STEP] = 4L * skv * NR - 4 * NR;
    }
}
