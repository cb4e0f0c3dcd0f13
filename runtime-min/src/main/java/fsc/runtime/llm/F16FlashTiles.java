package fsc.runtime.llm;

import fsc.runtime.x86.F16FlashKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * {@link F16KvAttention}'s llama.cpp flash mode with the per-position work in machine code ({@link
 * F16FlashKernels}), four heads of 64 per pass, for groups of a multiple of four: the same bits as
 * the scalar emulation. Per (token, KV head): the kernel scores every position for four heads; the
 * online softmax (running max, {@code exp}, sum) runs here in Java over those scores in position
 * order, leaving per position the heads' weights and rescales; the second kernel then applies them
 * to the f16 output vectors. The split keeps {@code exp} the same Java function as the scalar path.
 *
 * <p>The dot's lane order is the Java dot's on a 16-lane species, so this applies only there.
 */
final class F16FlashTiles {
    /** The kernels, or {@code null} where the scalar emulation runs. */
    private static final F16FlashKernels KERNELS =
            FloatVector.SPECIES_PREFERRED.length() == 16 ? F16FlashKernels.loadIfSupported() : null;

    private static final int HEADS = F16FlashKernels.HEADS;
    /** Floats in one position's weights record. */
    private static final int RECORD_FLOATS = F16FlashKernels.RECORD / 4;

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
        private final float[] max;
        private final float[] sum;
        private MemorySegment rows = MemorySegment.NULL;
        private MemorySegment scores = MemorySegment.NULL;
        private MemorySegment weights = MemorySegment.NULL;
        private float[] scoreRows = new float[0];
        private float[] records = new float[0];

        Scratch(int group, int hd) {
            this.group = group;
            this.hd = hd;
            this.q = Arena.ofAuto().allocate(4L * group * hd, 64);
            this.sums = Arena.ofAuto().allocate(4L * group * hd, 64);
            this.max = new float[group];
            this.sum = new float[group];
        }

        private void fit(int len) {
            if (rows.byteSize() < 8L * len) {
                int n = Math.max(len, (int) (rows.byteSize() / 4));
                rows = Arena.ofAuto().allocate(8L * n, 64);
                scores = Arena.ofAuto().allocate(4L * group * n, 64);
                weights = Arena.ofAuto().allocate((long) F16FlashKernels.RECORD * n, 64);
                scoreRows = new float[group * n];
                records = new float[RECORD_FLOATS * n];
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
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.Q, s.q.address() + 4L * h0 * s.hd);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.K, cache.address() + kBase);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.ROWS, s.rows.address());
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.SCORES, s.scores.address() + 4L * h0 * len);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.LEN_BYTES, 4L * len);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.COUNT, len);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.SCALE, Float.floatToRawIntBits(scale));
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.CONSTANTS, KERNELS.constants());
            KERNELS.scores(p.address());
        }
        MemorySegment.copy(s.scores, LlmKernels.F32, 0, s.scoreRows, 0, s.group * len);
        Arrays.fill(s.max, Float.NEGATIVE_INFINITY);
        Arrays.fill(s.sum, 0);
        s.sums.fill((byte) 0);
        for (int h0 = 0; h0 < s.group; h0 += HEADS) {
            for (int j = 0; j < len; j++) {
                softmaxStep(s, h0, j, len);
            }
            MemorySegment.copy(s.records, 0, s.weights, LlmKernels.F32, 0, RECORD_FLOATS * len);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.SUMS, s.sums.address() + 4L * h0 * s.hd);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.V, cache.address() + vBase);
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.ROWS, s.rows.address());
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.WEIGHTS, s.weights.address());
            p.setAtIndex(ValueLayout.JAVA_LONG, F16FlashKernels.COUNT, len);
            KERNELS.values(p.address());
        }
        MemorySegment.copy(s.sums, LlmKernels.F32, 0, acc, 0, s.group * s.hd);
        for (int g = 0; g < s.group; g++) {
            float inv = 1 / s.sum[g];
            for (int i = 0; i < s.hd; i++) {
                acc[g * s.hd + i] *= inv;
            }
        }
    }

    /**
     * Position {@code j}'s online-softmax step for heads {@code h0..h0+3}, as the scalar path's
     * {@code online} takes it: its weights and rescales into the position's record, flagged where
     * some head's max grew.
     */
    private static void softmaxStep(Scratch s, int h0, int j, int len) {
        float[] r = s.records;
        int at = j * RECORD_FLOATS;
        boolean grew = false;
        for (int h = 0; h < HEADS; h++) {
            int g = h0 + h;
            float score = s.scoreRows[g * len + j];
            float vs = 1;
            float ms = 1;
            if (score > s.max[g]) {
                float old = s.max[g];
                s.max[g] = score;
                ms = old == Float.NEGATIVE_INFINITY ? 0 : (float) Math.exp(old - score);
                grew = true;
            } else {
                vs = (float) Math.exp(score - s.max[g]);
            }
            s.sum[g] = s.sum[g] * ms + vs;
            r[at + h] = vs;
            r[at + HEADS + h] = ms;
        }
        r[at + 2 * HEADS] = grew ? 1 : 0;
        r[at + 2 * HEADS + 1] = 0;
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
