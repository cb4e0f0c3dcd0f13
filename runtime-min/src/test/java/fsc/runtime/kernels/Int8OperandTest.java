package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import fsc.runtime.x86.ByteRowKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The VNNI path's passes over A ({@link ByteRowKernels} with the row tails in Java) against plain
 * loops: row sums of signed and unsigned activations, read in place and copied, row lengths below,
 * on and past the 64-byte chunk and the quad padding, zero points at the ends of the range; sign
 * flips of lengths that end mid-vector.
 */
class Int8OperandTest {
    @Test
    void rowSumsAreThePlainSums() {
        ByteRowKernels kernels = kernels();
        Random rnd = new Random(8);
        for (int k : new int[] {1, 15, 63, 64, 65, 70, 384, 1536, 1537}) {
            for (boolean unsigned : new boolean[] {true, false}) {
                for (int zp : unsigned ? new int[] {0, 128, 255} : new int[] {-128, 0, 127}) {
                    int m = 7;
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment a = arena.allocate((long) m * k + 3);
                        for (long i = 0; i < a.byteSize(); i++) {
                            a.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
                        }
                        int[] want = new int[m];
                        for (int i = 0; i < m; i++) {
                            for (int kk = 0; kk < k; kk++) {
                                byte v = a.get(ValueLayout.JAVA_BYTE, 3 + (long) i * k + kk);
                                want[i] += (unsigned ? v & 0xff : v) - zp;
                            }
                        }
                        Int8GemmVnni.Operand op = new Int8GemmVnni.Operand();
                        op.prepare(kernels, a, 3, m, k, unsigned, zp);
                        int[] got = new int[m];
                        op.rowSums(m, k, got);
                        assertArrayEquals(want, got, "k=" + k + " unsigned=" + unsigned + " zp=" + zp);
                    }
                }
            }
        }
    }

    @Test
    void signFlipsFlipEveryByte() {
        ByteRowKernels kernels = kernels();
        Random rnd = new Random(80);
        for (long size : new long[] {1, 63, 64, 65, 4096, 4097, 3 * 4096 + 100}) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = arena.allocate(size);
                byte[] before = new byte[(int) size];
                rnd.nextBytes(before);
                MemorySegment.copy(before, 0, s, ValueLayout.JAVA_BYTE, 0, before.length);
                new Int8GemmVnni.Operand().flipSigns(kernels, s, size);
                for (int i = 0; i < size; i++) {
                    assertEquals(
                            (byte) (before[i] ^ 0x80), s.get(ValueLayout.JAVA_BYTE, i), "size=" + size + " at " + i);
                }
            }
        }
    }

    private static ByteRowKernels kernels() {
        assumeTrue(Int8Gemm.VNNI != null, "not run: this CPU (or -XX:MaxVectorSize) gives no AVX-512 VNNI tiles");
        return Int8Gemm.VNNI.rows;
    }
}
