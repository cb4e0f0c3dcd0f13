package fsc.runtime.llm;

import fsc.runtime.x86.F16FlashKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * {@link F16KvAttention}'s llama.cpp flash mode with the per-position work in machine code ({@link
 * F16FlashKernels}), four heads of 64 per pass, for groups of a multiple of four: the same bits as
 * the scalar emulation. Per (token, KV head): the scores kernel scores every position for four
 * heads and takes the online softmax's comparisons (running max, which heads' max grew, the
 * exponent of each); {@link ExactFloatExp} turns every exponent into {@code (float) Math.exp} of
 * it, the scalar path's function, on vectors; the values kernel then applies weights and rescales
 * to the f16 output vectors and keeps the running sums.
 *
 * <p>The dot's lane order is the Java dot's on a 16-lane species, so this applies only there.
 */
final class F16FlashTiles {
    /** The kernels, or {@code null} where the scalar emulation runs. */
    private static final F16FlashKernels KERNELS =
            FloatVector.SPECIES_PREFERRED.length() == 16 ? F16FlashKernels.loadIfSupported() : null;

    private static final int HEADS = F16FlashKernels.HEADS;
    private static final int STEP = F16FlashKernels.STEP;

    private F16FlashTiles() {}

    /** Whether a group of {@code group} heads of {@code headDim} over {@code cache} runs here. */
    static boolean applies(int headDim, int group, MemorySegment cache) {
        return KERNELS != null && headDim == F16FlashKernels.HEAD && group % HEADS == 0 && cache.isNative();
    }

    /** One thread's native buffers and Java scratch, grown as needed and reused. */
    static final class Scratch {
        private final int group;
        private final int hd;
        private final MemorySegment params = Arena.ofAuto().allocate(8L * F16FlashKernels.PARAMS, 64);
        private final MemorySegment q;
        private final MemorySegment sums;
        private final MemorySegment totals;
        private final float[] sum;
        private MemorySegment rows = MemorySegment.NULL;
        /** Per pass of four heads, per position: the exponents (then exps, then weights). */
        private MemorySegment args = MemorySegment.NULL;
        /** Per pass of four heads, per position: the grew flags (then the rescales). */
        private MemorySegment grew = MemorySegment.NULL;

        Scratch(int group, int hd) {
            this.group = group;
            this.hd = hd;
            this.q = Arena.ofAuto().allocate(4L * group * hd, 64);
            this.sums = Arena.ofAuto().allocate(4L * group * hd, 64);
            this.totals = Arena.ofAuto().allocate(4L * group, 64);
            this.sum = new float[group];
        }

        private void fit(int len) {
            if (rows.byteSize() < 8L * len) {
                int n = Math.max(len, (int) (rows.byteSize() / 4));
                rows = Arena.ofAuto().allocate(8L * n, 64);
                args = Arena.ofAuto().allocate(4L * group * n, 64);
                grew = Arena.ofAuto().allocate(4L * group * n, 64);
            }
        }
    }

    /**
     * Attends the group's f16-rounded queries {@code qs} to positions {@code 0..len-1} of one
     * sequence and KV head, whose K rows are at the byte offsets {@link #rows} wrote, into {@code
     * acc} (the group's outputs, divided by their sums).
     */
    static void attend(
            Scratch s, float[] qs, MemorySegment cache, long kBase, long vBase, int len, float scale, float[] acc) {
        MemorySegment.copy(qs, 0, s.q, LlmKernels.F32, 0, s.group * s.hd);
        MemorySegment p = s.params;
        for (int h0 = 0; h0 < s.group; h0 += HEADS) {
            long pass = (long) h0 / HEADS * STEP * len;
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.Q, s.q.address() + 4L * h0 * s.hd);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.K, cache.address() + kBase);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.ROWS, s.rows.address());
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.ARGS, s.args.address() + pass);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.GREW, s.grew.address() + pass);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.COUNT, len);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.SCALE, Float.floatToRawIntBits(scale));
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.CONSTANTS, KERNELS.constants());
            KERNELS.scores(p.address());
        }
        ExactFloatExp.inPlace(s.args, 0, s.group * len);
        s.sums.fill((byte) 0);
        for (int h0 = 0; h0 < s.group; h0 += HEADS) {
            long pass = (long) h0 / HEADS * STEP * len;
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.SUMS, s.sums.address() + 4L * h0 * s.hd);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.V, cache.address() + vBase);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.ROWS, s.rows.address());
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.ARGS, s.args.address() + pass);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.GREW, s.grew.address() + pass);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.COUNT, len);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.TOTALS, s.totals.address() + 4L * h0);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.CONSTANTS, KERNELS.constants());
            KERNELS.values(p.address());
        }
        MemorySegment.copy(s.sums, LlmKernels.F32, 0, acc, 0, s.group * s.hd);
        MemorySegment.copy(s.totals, LlmKernels.F32, 0, s.sum, 0, s.group);
        for (int g = 0; g < s.group; g++) {
            float inv = 1 / s.sum[g];
            for (int i = 0; i < s.hd; i++) {
                acc[g * s.hd + i] *= inv;
            }
        }
    }

    /** Writes the byte offset of each position's K row (for KV head 0) into the scratch's row table. */
    static void rows(
            Scratch s,
            PagedLayout layout,
            MemorySegment table,
            int tableWidth,
            int sequences,
            int numBlocks,
            int seq,
            int len,
            int layer) {
        s.fit(len);
        for (int j = 0; j < len; j++) {
            long row = layout.keyOffset(table, tableWidth, sequences, numBlocks, seq, j, layer);
            s.rows.setAtIndex(ValueLayout.JAVA_LONG, j, 2 * row);
        }
    }
}
