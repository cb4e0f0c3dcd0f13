package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import fsc.runtime.x86.CpuFeatures;
import fsc.runtime.x86.RepackKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The machine-code weight repacks ({@link RepackKernels}) against the Java shuffles of {@link
 * Q80Packed} and {@link KQuantPacked}, byte for byte: random blocks (every scale, min and factor
 * bit pattern), weights at an odd address, one, several and 22 blocks a row, a tail of rows after
 * the whole groups that neither writes, and a matrix large enough to be split between two threads. The packed kernels' tests ({@code Q80MatVecTest},
 * {@code Q8KMatVecTest}) then check that the layouts give the reference's bits.
 */
class PackedLayoutsTest {
    @Test
    void theMachineCodeRunsWhereTheCpuHasIt() {
        if (CpuFeatures.avx512Vnni()) {
            assertNotNull(RowGroupRepack.NATIVE, "AVX-512 VNNI CPU, native kernels on, but the repacks are not loaded");
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_0", "Q8_0", "Q4_K", "Q6_K"})
    void theMachineCodeWritesTheJavaShufflesBytes(GgmlType type) {
        Random rnd = new Random(17 + type.ordinal());
        boolean k = type == GgmlType.Q4_K || type == GgmlType.Q6_K;
        for (int blocks : new int[] {1, 3, 22}) {
            // One block a row: enough groups that the repack is split between two threads.
            int n = blocks == 1 ? 16 * 2 * RowGroupRepack.SPLIT_GROUPS + 5 : 37;
            long rowBytes = type.blockBytes() * blocks;
            try (Arena arena = Arena.ofConfined()) {
                byte[] bytes = new byte[Math.toIntExact(n * rowBytes)];
                rnd.nextBytes(bytes);
                MemorySegment w = arena.allocate(bytes.length + 7, 64).asSlice(7, bytes.length);
                MemorySegment.copy(bytes, 0, w, ValueLayout.JAVA_BYTE, 0, bytes.length);
                int format =
                        switch (type) {
                            case Q4_0 -> RepackKernels.Q4_0;
                            case Q8_0 -> RepackKernels.Q8_0;
                            case Q4_K -> RepackKernels.Q4_K;
                            default -> RepackKernels.Q6_K;
                        };
                RowGroupRepack.Shuffle shuffle =
                        switch (type) {
                            case Q4_0 -> Q80Packed.shuffle(fsc.runtime.x86.Q80Kernels.Q4_0, rowBytes, blocks);
                            case Q8_0 -> Q80Packed.shuffle(fsc.runtime.x86.Q80Kernels.Q8_0, rowBytes, blocks);
                            case Q4_K -> KQuantPacked.q4KShuffle(rowBytes, blocks);
                            default -> KQuantPacked.q6KShuffle(rowBytes, blocks);
                        };
                MemorySegment packed = RowGroupRepack.repack(w, rowBytes, blocks, format, shuffle);
                int packedGroup = blocks * RepackKernels.packedBlockBytes(format);
                assertEquals((long) (n / 16) * packedGroup, packed.byteSize(), "the whole groups of 16 rows");
                MemorySegment expected = arena.allocate(packed.byteSize(), 64);
                RowGroupRepack.shuffleInto(expected, w, rowBytes, packedGroup, shuffle);
                long mismatch = packed.mismatch(expected);
                assertEquals(
                        -1,
                        mismatch,
                        type + " " + blocks + " blocks: first differing byte " + mismatch
                                + (k ? " (of a " + RepackKernels.packedBlockBytes(format) + "-byte block)" : ""));
            }
        }
    }
}
