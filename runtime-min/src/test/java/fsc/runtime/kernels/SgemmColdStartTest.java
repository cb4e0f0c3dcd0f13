package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cold-start scalar tile gives the vector kernel's bits (so switching between them mid-model
 * changes nothing): odd and even k, accumulate into C, start from a bias row or from zero, operands
 * at odd offsets inside their segments.
 */
class SgemmColdStartTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final int MR = Sgemm.MR;
    private static final int NR = Sgemm.NR;

    @Test
    void scalarTileIsBitIdenticalToTheVectorKernel() {
        Random rnd = new Random(5);
        for (int kc : new int[] {1, 2, 3, 16, 17, 256, 257}) {
            for (int mode = 0; mode < 3; mode++) {
                check(rnd, kc, mode == 0, mode == 1);
            }
        }
    }

    private static void check(Random rnd, int kc, boolean acc, boolean withBias) {
        try (Arena arena = Arena.ofConfined()) {
            float[] ap = new float[3 + kc * MR];
            for (int i = 0; i < ap.length; i++) {
                ap[i] = (float) rnd.nextGaussian();
            }
            long bRow = 4L * (NR + 5);
            MemorySegment b = arena.allocate(4 + bRow * kc);
            for (long i = 0; i < b.byteSize() / 4 - 1; i++) {
                b.set(F32, 4 + 4 * i, (float) rnd.nextGaussian());
            }
            long cRow = 4L * (NR + 3);
            MemorySegment vec = arena.allocate(8 + cRow * MR);
            for (long i = 0; i < vec.byteSize() / 4 - 2; i++) {
                vec.set(F32, 8 + 4 * i, (float) rnd.nextGaussian());
            }
            MemorySegment scalar = arena.allocate(vec.byteSize());
            scalar.copyFrom(vec);
            MemorySegment bias = null;
            if (withBias) {
                bias = arena.allocate(12 + 4L * NR);
                for (int j = 0; j < NR; j++) {
                    bias.set(F32, 12 + 4L * j, (float) rnd.nextGaussian());
                }
            }
            int even = kc & ~1;
            SgemmMicroKernels.kernel8(even, ap, 3, b, 4, bRow, vec, 8, cRow, acc, bias, 12);
            if (even < kc) {
                SgemmMicroKernels.addRank1(ap, 3 + even * MR, b, 4 + even * bRow, vec, 8, cRow);
            }
            SgemmColdStart.kernel8(kc, ap, 3, b, 4, bRow, scalar, 8, cRow, acc, bias, 12);
            assertEquals(-1L, vec.mismatch(scalar), "kc=" + kc + " acc=" + acc + " bias=" + withBias);
        }
    }
}
