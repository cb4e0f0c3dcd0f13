package fsc.runtime.kernels;

import fsc.runtime.ElemType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ONNX NonZero: the indices of x's non-zero elements in row-major order, as {@code i64[rank, n]}.
 * Two passes (count, then fill), because the output's rows are {@code n} long and {@code n} is known
 * only after the first; no scratch memory.
 */
public final class NonZero {
    private NonZero() {}

    /**
     * @param shape x's dimensions (the caller's reusable array)
     * @param y {@code i64[rank, n]}, sized by the caller for the largest n (every element)
     * @return n, the number of non-zero elements
     */
    public static long run(MemorySegment x, ElemType type, long[] shape, MemorySegment y) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        long n = 0;
        for (long i = 0; i < count; i++) {
            if (Elements.get(x, type, i) != 0) {
                n++;
            }
        }
        long j = 0;
        for (long i = 0; i < count; i++) {
            if (Elements.get(x, type, i) != 0) {
                long rest = i;
                for (int r = shape.length - 1; r >= 0; r--) {
                    y.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r * n + j, rest % shape[r]);
                    rest /= shape[r];
                }
                j++;
            }
        }
        return n;
    }
}
