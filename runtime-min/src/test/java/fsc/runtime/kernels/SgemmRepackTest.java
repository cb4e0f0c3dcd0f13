package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sgemm.repack from a compile-time panel width to this CPU's gives exactly what packB gives. */
class SgemmRepackTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** B[k,n] in panels of {@code w} columns, written independently of Sgemm (the compiler's layout). */
    private static MemorySegment panels(Arena arena, MemorySegment b, int k, int n, int w) {
        int panels = (n + w - 1) / w;
        MemorySegment out = arena.allocate((long) panels * k * w * 4);
        for (int col = 0; col < n; col++) {
            for (int kk = 0; kk < k; kk++) {
                long at = (((long) (col / w) * k + kk) * w + col % w) * 4;
                out.set(F32, at, b.get(F32, ((long) kk * n + col) * 4));
            }
        }
        return out;
    }

    @Test
    void repackMatchesPackBForEveryForeignWidth() {
        int[][] sizes = {{1, 1}, {3, 17}, {65, 40}, {384, 33}, {7, 129}};
        for (int[] kn : sizes) {
            int k = kn[0];
            int n = kn[1];
            for (int w : new int[] {1, 4, 8, 16, 32, 48}) {
                try (Arena arena = Arena.ofConfined()) {
                    Random rnd = new Random(31L * k + n);
                    MemorySegment b = arena.allocate((long) k * n * 4);
                    for (long i = 0; i < (long) k * n; i++) {
                        b.set(F32, i * 4, rnd.nextFloat() - 0.5f);
                    }
                    MemorySegment expected = arena.allocate(Sgemm.packedBytes(k, n));
                    Sgemm.packB(b, 0, k, n, false, expected, 0);
                    MemorySegment got = arena.allocate(Sgemm.packedBytes(k, n) + 64);
                    got.fill((byte) 0x7f); // padding must be written as zeros, not left over
                    Sgemm.repack(panels(arena, b, k, n, w), 0, k, n, w, got, 64);
                    assertEquals(
                            -1L,
                            expected.mismatch(got.asSlice(64, expected.byteSize())),
                            "k=" + k + " n=" + n + " from panel" + w);
                }
            }
        }
    }
}
