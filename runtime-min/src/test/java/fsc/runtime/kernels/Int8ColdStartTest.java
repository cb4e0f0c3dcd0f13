package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The int8 GEMM's scalar twins for a fresh JVM (activation row sums, sign flips) give the vector
 * code's values: signed and unsigned activations, row lengths on and off the vector width and the
 * quad padding, zero points at the ends of the range, flips of lengths that end mid-vector and
 * span several 4 KiB runs.
 */
class Int8ColdStartTest {
    @Test
    void rowSumsMatchTheVectorCode() {
        Random rnd = new Random(8);
        for (int k : new int[] {1, 15, 16, 17, 384, 1536, 1537}) {
            for (boolean unsigned : new boolean[] {true, false}) {
                for (int zp : unsigned ? new int[] {0, 128, 255} : new int[] {-128, 0, 127}) {
                    int m = 5;
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment a = arena.allocate((long) m * k + 3);
                        for (long i = 0; i < a.byteSize(); i++) {
                            a.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
                        }
                        Int8GemmVnni.Operand op = new Int8GemmVnni.Operand();
                        op.prepare(a, 3, m, k, unsigned, zp);
                        int[] vector = new int[m];
                        int[] scalar = new int[m];
                        op.rowSumsVector(m, k, vector);
                        op.rowSumsScalar(m, k, scalar);
                        assertArrayEquals(vector, scalar, "k=" + k + " unsigned=" + unsigned + " zp=" + zp);
                    }
                }
            }
        }
    }

    @Test
    void signFlipsMatchTheVectorCode() {
        Random rnd = new Random(80);
        for (long size : new long[] {1, 15, 16, 33, 4096, 4097, 3 * 4096 + 100}) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment vector = arena.allocate(size);
                for (long i = 0; i < size; i++) {
                    vector.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
                }
                MemorySegment scalar = arena.allocate(size);
                scalar.copyFrom(vector);
                Int8GemmVnni.Operand.flipSignsVector(vector, size);
                Int8GemmVnni.Operand.flipSignsScalar(scalar, size);
                assertEquals(-1L, vector.mismatch(scalar), "size=" + size);
            }
        }
    }
}
