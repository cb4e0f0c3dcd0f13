package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The K-quant decode matvec ({@link KQuantMatVec} behind {@link QuantMatVec#rows}) against ggml's
 * dequantization ({@link Dequantize}) followed by a dot product in double: odd row counts, a row
 * range inside the matrix, an unaligned weight base and output offset, one and several super-blocks
 * per row, and scales from zero and f16 subnormals up to f16's largest value. Every row is also the
 * same bits as {@link QuantDot#dot} of that row alone (decode's single-row path).
 */
class KQuantMatVecTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** How a test fills a block's f16 scales. */
    enum Scales {
        SMALL, // ±0.05, as real weights
        EXTREME, // 0, ±subnormal, ±65504 and ordinary values mixed block by block
    }

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_K", "Q6_K"})
    void rowsMatchTheReferenceWithSmallScales(GgmlType type) {
        check(type, Scales.SMALL, 3 * 256, 13, 2, 11, 31);
        check(type, Scales.SMALL, 256, 5, 0, 5, 7);
        check(type, Scales.SMALL, 22 * 256, 3, 1, 3, 101);
    }

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_K", "Q6_K"})
    void rowsMatchTheReferenceWithExtremeScales(GgmlType type) {
        check(type, Scales.EXTREME, 4 * 256, 17, 3, 16, 5);
        check(type, Scales.EXTREME, 256, 9, 0, 9, 13);
    }

    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_K", "Q6_K"})
    void zeroScalesGiveZeroAndAllOnesQuantsTheirSum(GgmlType type) {
        int k = 2 * 256;
        long rowBytes = type.bytesFor(k);
        MemorySegment w = Arena.ofAuto().allocate(rowBytes);
        w.fill((byte) 0xFF); // every quant, scale and min at its largest; f16 0xFFFF is NaN, so:
        for (long at = 0; at < rowBytes; at += type.blockBytes()) {
            long d = type == GgmlType.Q6_K ? at + 208 : at;
            w.set(I16, d, Float.floatToFloat16(0));
            if (type == GgmlType.Q4_K) {
                w.set(I16, at + 2, Float.floatToFloat16(0));
            }
        }
        float[] x = new float[k];
        java.util.Arrays.fill(x, 1f);
        MemorySegment y = Arena.ofAuto().allocate(4);
        QuantMatVec.rows(type, w, x, k, y, 0, 0, 1);
        assertEquals(0f, y.get(F32, 0), type + " with zero scales");
        // d = 1 (and dmin = 1): Q4_K all quants 15, scales and mins 63 -> 63*15 - 63 per value;
        // Q6_K quants 63 - 32 = 31, scales int8 -1 -> -31 per value.
        for (long at = 0; at < rowBytes; at += type.blockBytes()) {
            long d = type == GgmlType.Q6_K ? at + 208 : at;
            w.set(I16, d, Float.floatToFloat16(1));
            if (type == GgmlType.Q4_K) {
                w.set(I16, at + 2, Float.floatToFloat16(1));
            }
        }
        QuantMatVec.rows(type, w, x, k, y, 0, 0, 1);
        float expected = type == GgmlType.Q4_K ? k * (63f * 15 - 63) : -31f * k;
        assertEquals(expected, y.get(F32, 0), type + " with every bit set");
    }

    /**
     * Once compiled, a matvec call allocates nothing: its scratch is per thread and every vector
     * operation is intrinsified (a vector op C2 cannot intrinsify boxes its operands, which shows
     * up here as bytes per call).
     */
    @ParameterizedTest
    @EnumSource(
            value = GgmlType.class,
            names = {"Q4_K", "Q6_K"})
    void steadyStateCallsAllocateNothing(GgmlType type) {
        int k = 4 * 256;
        int rows = 64;
        MemorySegment w = RandomWeights.of(Arena.ofAuto(), type, rows, k, new Random(3));
        float[] x = new float[k];
        java.util.Arrays.fill(x, 0.5f);
        // Native, as the decoder passes it: C2 does not intrinsify vector loads from a heap segment
        // over a float[], and the Java fallback allocates (docs/DECISIONS.md).
        MemorySegment xs = Arena.ofAuto().allocate(4L * k, 64);
        MemorySegment.copy(x, 0, xs, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, k);
        MemorySegment y = Arena.ofAuto().allocate(4L * rows);
        Q8K xq = Q8K.quantize(x);
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long allocated = Long.MAX_VALUE;
        long q8k = Long.MAX_VALUE;
        java.util.List<String> windows = new java.util.ArrayList<>();
        for (int round = 0; round < 30 && (allocated > 0 || q8k > 0); round++) {
            for (int i = 0; i < 2000; i++) {
                QuantMatVec.rows(type, w, x, xs, k, y, 0, 0, rows);
                Q8KDot.dot(type, w, 0, xq, 0);
            }
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200; i++) {
                QuantMatVec.rows(type, w, x, xs, k, y, 0, 0, rows);
            }
            long mid = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200; i++) {
                Q8KDot.dot(type, w, 0, xq, 0);
            }
            allocated = mid - before;
            q8k = mx.getCurrentThreadAllocatedBytes() - mid;
            windows.add(allocated + "/" + q8k);
        }
        System.out.println(type + " steady state, bytes per 200 calls (matvec/Q8KDot) by window: " + windows);
        assertEquals(0, allocated, type + " matvec: bytes allocated by 200 calls, windows " + windows);
        assertEquals(0, q8k, type + " Q8KDot: bytes allocated by 200 calls, windows " + windows);
    }

    private static void check(GgmlType type, Scales scales, int k, int rows, int from, int to, long seed) {
        Random rnd = new Random(seed + 1000L * type.ordinal() + 100L * scales.ordinal());
        long rowBytes = type.bytesFor(k);
        // An odd base offset: no kernel may assume an aligned matrix.
        MemorySegment w = Arena.ofAuto().allocate(rows * rowBytes + 3).asSlice(3, rows * rowBytes);
        w.copyFrom(RandomWeights.of(Arena.ofAuto(), type, rows, k, rnd));
        if (scales == Scales.EXTREME) {
            float[] pool = {0f, 6e-8f, -6e-8f, 65504f, -65504f, 1f, -0.5f, 3e-5f};
            for (long at = 0; at < w.byteSize(); at += type.blockBytes()) {
                long d = type == GgmlType.Q6_K ? at + 208 : at;
                w.set(I16, d, Float.floatToFloat16(pool[rnd.nextInt(pool.length)]));
                if (type == GgmlType.Q4_K) {
                    w.set(I16, at + 2, Float.floatToFloat16(pool[rnd.nextInt(pool.length)]));
                }
            }
        }
        float[] x = new float[k];
        for (int i = 0; i < k; i++) {
            x[i] = (float) (rnd.nextGaussian() * Math.pow(2, rnd.nextInt(9) - 4));
        }
        long yOffset = 20;
        MemorySegment y = Arena.ofAuto().allocate(yOffset + 4L * rows + 8);
        y.fill((byte) 0x7f);
        QuantMatVec.rows(type, w, x, k, y, yOffset, from, to);
        // x at an offset inside a longer array, for the single-row path.
        float[] xPadded = new float[k + 9];
        System.arraycopy(x, 0, xPadded, 7, k);
        float[] row = new float[k];
        for (int j = 0; j < rows; j++) {
            float got = y.get(F32, yOffset + 4L * j);
            if (j < from || j >= to) {
                assertEquals(0x7f7f7f7f, Float.floatToRawIntBits(got), "row " + j + " is outside the range");
                continue;
            }
            float single = QuantDot.dot(type, w, j * rowBytes, xPadded, 7, k);
            assertEquals(Float.floatToRawIntBits(single), Float.floatToRawIntBits(got), type + " row " + j);
            Dequantize.row(type, w, j * rowBytes, row, 0, k);
            double ref = 0;
            double magnitude = 0;
            for (int i = 0; i < k; i++) {
                ref += (double) row[i] * x[i];
                magnitude += Math.abs((double) row[i] * x[i]);
            }
            // The kernel rounds d*sc*q*x and dmin*m*Σx separately; each term is bounded by the
            // block's largest |w| times |x|, so the error scale is that bound, not |Σ w x|.
            double bound = 1e-5 * (magnitude + termBound(type, w, j * rowBytes, x, k)) + 1e-30;
            assertTrue(
                    Math.abs(got - ref) <= bound,
                    type + " " + scales + " row " + j + ": got " + got + ", reference " + ref + " (bound " + bound
                            + ")");
        }
    }

    /** Σ |dmin * m_j| * |x_i| over the row (Q4_K's min term, which the kernel rounds apart from the rest). */
    private static double termBound(GgmlType type, MemorySegment w, long at, float[] x, int k) {
        if (type != GgmlType.Q4_K) {
            return 0;
        }
        double s = 0;
        for (int b = 0; b < k / 256; b++) {
            long blk = at + 144L * b;
            double dmin = Math.abs(Dequantize.f16(w, blk + 2));
            double d = Math.abs(Dequantize.f16(w, blk));
            for (int j = 0; j < 8; j++) {
                for (int i = 0; i < 32; i++) {
                    double ax = Math.abs(x[256 * b + 32 * j + i]);
                    s += (dmin * Dequantize.minK4(w, blk + 4, j) + d * Dequantize.scaleK4(w, blk + 4, j) * 15) * ax;
                }
            }
        }
        return s;
    }
}
