package fsc.runtime.kernels;

import fsc.runtime.x86.GeluRowsKernels;
import java.lang.foreign.MemorySegment;

/**
 * Exact GELU in place over rows of native memory by {@link GeluRowsKernels} when this CPU runs it,
 * else by {@link FloatMath#geluRows}: the same bits either way (the machine code is the Vector API
 * loop's operations). The columns past the last whole 16-float vector run {@link FloatMath#geluRows}
 * too, whose scalar tail gives a lane's bits.
 */
final class NativeGelu {
    private static final GeluRowsKernels KERNEL = GeluRowsKernels.loadIfSupported();
    private static final int LANES = 16;

    private static final KernelParams PARAMS = new KernelParams(GeluRowsKernels.PARAMS);

    private NativeGelu() {}

    /** Whether the machine-code kernel runs (for tests). */
    static boolean machineCode() {
        return KERNEL != null;
    }

    /**
     * {@code x = gelu(x)} over {@code rows} rows of {@code cols} floats, {@code rowBytes} apart, from
     * byte offset {@code off} of {@code buf}.
     */
    static void rows(MemorySegment buf, long off, int rows, int cols, long rowBytes) {
        int vectors = cols / LANES;
        if (KERNEL == null || !buf.isNative() || vectors == 0 || rows <= 0) {
            FloatMath.geluRows(buf, off, rows, cols, rowBytes);
            return;
        }
        long last = off + (rows - 1) * rowBytes + 4L * cols;
        if (off < 0 || rowBytes < 4L * cols || last > buf.byteSize()) {
            throw new IndexOutOfBoundsException(rows + " rows of " + cols + " floats, " + rowBytes + " bytes apart, at "
                    + off + " are outside a " + buf.byteSize() + "-byte segment");
        }
        KernelParams.Block block = PARAMS.get();
        long[] p = block.values;
        p[GeluRowsKernels.X] = buf.address() + off;
        p[GeluRowsKernels.ROWS] = rows;
        p[GeluRowsKernels.PAIRS] = vectors / 2;
        p[GeluRowsKernels.SINGLE] = vectors % 2;
        p[GeluRowsKernels.LDX] = rowBytes;
        p[GeluRowsKernels.CONSTANTS] = NativeTile.GELU_CONSTANTS.address();
        KERNEL.run(block.publish());
        int done = vectors * LANES;
        if (done < cols) {
            FloatMath.geluRows(buf, off + 4L * done, rows, cols - done, rowBytes);
        }
    }
}
