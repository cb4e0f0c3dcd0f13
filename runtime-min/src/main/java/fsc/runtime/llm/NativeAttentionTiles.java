package fsc.runtime.llm;

import fsc.runtime.x86.AttentionKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * {@link AttentionTiles}' kernels in machine code ({@link AttentionKernels}), for heads of 64 floats
 * in groups of a multiple of four on a 16-lane species: the same bits, without the KV cache
 * segment's liveness check in the loop. The query, scores and sums they read and write live in a
 * thread's native {@link Buffers}.
 */
final class NativeAttentionTiles {
    /** The kernels, or {@code null} where the Vector API tiles run. */
    private static final AttentionKernels KERNELS =
            FloatVector.SPECIES_PREFERRED.length() == 16 ? AttentionKernels.loadIfSupported() : null;

    private static final ThreadLocal<MemorySegment> PARAMS =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(8L * AttentionKernels.PARAMS, 64));

    private NativeAttentionTiles() {}

    /** Whether every head of a group of {@code group} runs here (so scores and sums stay native). */
    static boolean applies(int headDim, int group, MemorySegment cache) {
        return KERNELS != null
                && headDim == AttentionKernels.HEAD
                && group % AttentionKernels.HEADS == 0
                && cache.isNative();
    }

    /** One thread's native query rows, scores and output sums, grown as needed and reused. */
    static final class Buffers {
        MemorySegment q = MemorySegment.NULL;
        MemorySegment scores = MemorySegment.NULL;
        MemorySegment sums = MemorySegment.NULL;

        Buffers fit(int heads, int headDim, int len) {
            long vectors = 4L * heads * headDim;
            if (q.byteSize() < vectors) {
                q = Arena.ofAuto().allocate(vectors, 64);
                sums = Arena.ofAuto().allocate(vectors, 64);
            }
            if (scores.byteSize() < 4L * heads * len) {
                scores = Arena.ofAuto().allocate(Math.max(4L * heads * len, 2 * scores.byteSize()), 64);
            }
            return this;
        }
    }

    /**
     * {@link AttentionTiles#scores4x4} with the query at float {@code qo} of {@code b.q} and the
     * scores at float {@code so} of {@code b.scores}.
     */
    static void scores4x4(
            Buffers b,
            int qo,
            MemorySegment cache,
            long rows,
            long rowStride,
            int so,
            int len,
            int j0,
            int j1,
            float scale) {
        MemorySegment p = PARAMS.get();
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.Q, b.q.address() + 4L * qo);
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.K, cache.address() + rows);
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.ROW_STRIDE, rowStride);
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.SCORES, b.scores.address() + 4L * (so + j0));
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.LEN_BYTES, 4L * len);
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.COUNT, j1 - j0);
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.SCALE, Float.floatToRawIntBits(scale));
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.CONSTANTS, KERNELS.constants());
        KERNELS.scores(p.address());
    }

    /**
     * {@link AttentionTiles#values4x4} with the scores at float {@code so} of {@code b.scores} and
     * the sums at float {@code o} of {@code b.sums}.
     */
    static void values4x4(
            Buffers b, int so, int len, MemorySegment cache, long rows, long rowStride, int o, int j0, int j1) {
        MemorySegment p = PARAMS.get();
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.SUMS, b.sums.address() + 4L * o);
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.V, cache.address() + rows);
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.ROW_STRIDE, rowStride);
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.SCORES, b.scores.address() + 4L * (so + j0));
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.LEN_BYTES, 4L * len);
        p.setAtIndex(ValueLayout.JAVA_LONG, AttentionKernels.COUNT, j1 - j0);
        KERNELS.values(p.address());
    }
}
