package fsc.ir.interp;

import java.util.Arrays;

/** Row-major index arithmetic for the naive kernels. */
final class Index {
    private Index() {}

    static long count(long[] shape) {
        return HostTensor.count(shape);
    }

    static long product(long[] shape, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return p;
    }

    /** The coordinates of flat index {@code flat} in {@code shape}. */
    static long[] unravel(long flat, long[] shape) {
        long[] coord = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            coord[d] = flat % shape[d];
            flat /= shape[d];
        }
        return coord;
    }

    static long ravel(long[] coord, long[] shape) {
        long flat = 0;
        for (int d = 0; d < shape.length; d++) {
            flat = flat * shape[d] + coord[d];
        }
        return flat;
    }

    /**
     * The flat index into a tensor of {@code inShape} that numpy broadcasting maps to element {@code
     * flat} of {@code outShape} (shapes aligned on the right; size-1 dimensions repeat).
     */
    static long broadcast(long[] outShape, long[] inShape, long flat) {
        long index = 0;
        long stride = 1;
        int offset = outShape.length - inShape.length;
        for (int d = outShape.length - 1; d >= 0; d--) {
            long coord = flat % outShape[d];
            flat /= outShape[d];
            int k = d - offset;
            if (k >= 0) {
                if (inShape[k] != 1) {
                    index += coord * stride;
                }
                stride *= inShape[k];
            }
        }
        return index;
    }

    /** numpy broadcast of two concrete shapes; the shape rules already checked they are compatible. */
    static long[] broadcastShape(long[] a, long[] b) {
        int rank = Math.max(a.length, b.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            int ia = a.length - rank + i;
            int ib = b.length - rank + i;
            long da = ia >= 0 ? a[ia] : 1;
            long db = ib >= 0 ? b[ib] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalStateException(
                        "shapes do not broadcast: " + Arrays.toString(a) + " and " + Arrays.toString(b));
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Copies one element between tensors of the same element type. */
    static void copy(HostTensor src, long si, HostTensor dst, long di) {
        int size = src.dtype().blockBytes();
        dst.dataView().put(Math.toIntExact(di * size), src.dataView(), Math.toIntExact(si * size), size);
    }
}
