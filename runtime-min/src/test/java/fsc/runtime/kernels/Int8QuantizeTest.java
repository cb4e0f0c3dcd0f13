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

    /**
     * {@link Int8Quantize#rowsS8} against the quantize pass's element-wise chain computed one float
     * at a time ({@code mul} by 1/s, {@code abs}, {@code reduce_max}, {@code max(·, FLT_MIN)}, {@code
     * / 127}, {@code x / scale}, {@code round}, {@code cast}): every scale and byte equal, for row
     * lengths on both sides of the vector length, with and without smoothing, a zero row, at odd
     * offsets, heap and native.
     */
    @Test
    void rowsS8EqualsTheElementwiseChain() {
        Random rnd = new Random(5);
        for (int k : new int[] {1, 7, 16, 17, 64, 383, 384, 1536}) {
            for (int rows : new int[] {1, 3}) {
                checkRows(rnd, rows, k, false, false);
                checkRows(rnd, rows, k, true, false);
                checkRows(rnd, rows, k, true, true);
            }
        }
    }

    private static void checkRows(Random rnd, int rows, int k, boolean smooth, boolean heap) {
        try (Arena arena = Arena.ofConfined()) {
            long xOff = 8;
            long qOff = 3;
            long sOff = 4;
            int n = rows * k;
            MemorySegment x =
                    heap ? MemorySegment.ofArray(new byte[(int) xOff + n * 4]) : arena.allocate(xOff + n * 4L);
            MemorySegment q = heap ? MemorySegment.ofArray(new byte[(int) qOff + n + 1]) : arena.allocate(qOff + n + 1);
            MemorySegment sc = arena.allocate(sOff + 4L * rows);
            MemorySegment inv = smooth ? arena.allocate(4L * k) : MemorySegment.NULL;
            float[] xs = new float[n];
            float[] iv = new float[k];
            for (int i = 0; i < k; i++) {
                iv[i] = smooth ? (float) (0.25 + rnd.nextDouble() * 4) : 1f;
                if (smooth) {
                    inv.set(F32, 4L * i, iv[i]);
                }
            }
            for (int i = 0; i < n; i++) {
                // The last row of several is all zeros: its scale is FLT_MIN / 127 and its bytes 0.
                xs[i] = rows > 1 && i >= (rows - 1) * k ? 0f : (float) (rnd.nextGaussian() * (i % 5 == 0 ? 20 : 1));
                x.set(F32, xOff + i * 4L, xs[i]);
            }
            Int8Quantize.rowsS8(x, xOff, rows, k, inv, 0L, q, qOff, sc, sOff);
            for (int r = 0; r < rows; r++) {
                float[] row = new float[k];
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < k; i++) {
                    row[i] = smooth ? xs[r * k + i] * iv[i] : xs[r * k + i];
                    max = Math.max(max, Math.abs(row[i]));
                }
                float s = Math.max(max, Float.MIN_NORMAL) / 127f;
                String where = "rows=" + rows + " k=" + k + " row " + r + (smooth ? " smoothed" : "")
                        + (heap ? " heap" : " native");
                assertEquals(s, sc.get(F32, sOff + 4L * r), "scale " + where);
                for (int i = 0; i < k; i++) {
                    byte want = (byte) (int) (float) Math.rint(row[i] / s);
                    assertEquals(
                            want, q.get(ValueLayout.JAVA_BYTE, qOff + (long) r * k + i), "byte " + i + " " + where);
                }
            }
            assertEquals(0, q.get(ValueLayout.JAVA_BYTE, qOff + n), "the byte after the range is untouched");
        }
    }
}
