package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Int8Quantize#dynamicU8} against ONNX DynamicQuantizeLinear computed one float at a time
 * (the element-wise graph the importer emits): scale, zero point and every byte equal, for sizes
 * on both sides of the kernel's vector length and 1024-float chunks, at odd offsets; in native
 * memory (the machine-code passes on AVX-512) and on the heap (the Vector API form).
 */
class Int8QuantizeTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void dynamicU8EqualsTheScalarDefinition() {
        Random rnd = new Random(3);
        for (int n : new int[] {1, 7, 16, 17, 1023, 1024, 1025, 2048 + 33, 3 * 1024 + 5}) {
            for (double shift : new double[] {0, 3, -3}) {
                check(rnd, n, shift, false);
                check(rnd, n, shift, true);
            }
        }
    }

    private static void check(Random rnd, int n, double shift, boolean heap) {
        try (Arena arena = Arena.ofConfined()) {
            long xOff = 12;
            long yOff = 5;
            MemorySegment x =
                    heap ? MemorySegment.ofArray(new byte[(int) xOff + n * 4]) : arena.allocate(xOff + n * 4L);
            MemorySegment y = heap ? MemorySegment.ofArray(new byte[(int) yOff + n + 3]) : arena.allocate(yOff + n + 3);
            MemorySegment scale = arena.allocate(4);
            MemorySegment zp = arena.allocate(1);
            float[] xs = new float[n];
            for (int i = 0; i < n; i++) {
                xs[i] = (float) (rnd.nextGaussian() * 2 + shift);
                x.set(F32, xOff + i * 4L, xs[i]);
            }
            Int8Quantize.dynamicU8(x, xOff, n, y, yOff, scale, zp);

            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (float v : xs) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            float lo = Math.min(min, 0f);
            float hi = Math.max(max, 0f);
            float s = (hi - lo) / 255f;
            float z = Math.min(Math.max((float) Math.rint(-(lo / s)), 0f), 255f);
            String where = "n=" + n + " shift=" + shift + (heap ? " heap" : " native");
            assertEquals(s, scale.get(F32, 0), "scale " + where);
            assertEquals((byte) (int) z, zp.get(ValueLayout.JAVA_BYTE, 0), "zero point " + where);
            for (int i = 0; i < n; i++) {
                byte want = (byte) (int) Math.min(Math.max((float) Math.rint(xs[i] / s) + z, 0f), 255f);
                assertEquals(want, y.get(ValueLayout.JAVA_BYTE, yOff + i), "byte " + i + " " + where);
            }
            assertEquals(0, y.get(ValueLayout.JAVA_BYTE, yOff + n), "the byte after the range is untouched");
        }
    }
}
