package fsc.runtime.kernels;

import fsc.runtime.x86.LayerNormKernels;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * {@link FloatMath#layerNormRows} in machine code ({@link LayerNormKernels}) when this CPU has
 * AVX-512 and the preferred species is 512 bits, the width whose bits the machine code repeats: the
 * rows are read and written where they are, compiled from a process's first call on (no
 * interpreter, no {@link VectorWarmth} twin).
 */
final class NativeLayerNorm {
    /** The machine code, or {@code null} where the Java kernel runs. */
    private static final LayerNormKernels KERNELS =
            FloatVector.SPECIES_PREFERRED.length() == 16 ? LayerNormKernels.loadIfSupported() : null;

    private static final KernelParams PARAMS = new KernelParams(LayerNormKernels.PARAMS);

    private NativeLayerNorm() {}

    /** Whether the machine code runs here. */
    static boolean machineCode() {
        return KERNELS != null;
    }

    /** Whether the machine code can take these operands: all native, every row in bounds. */
    static boolean applies(
            MemorySegment x,
            long xOff,
            MemorySegment out,
            long outOff,
            int rows,
            int n,
            MemorySegment gamma,
            long gOff,
            MemorySegment beta,
            long bOff) {
        long rowBytes = 4L * n;
        long bytes = rows * rowBytes;
        return KERNELS != null
                && rows > 0
                && n > 0
                && x.isNative()
                && out.isNative()
                && gamma.isNative()
                && (beta == null || beta.isNative())
                && xOff >= 0
                && outOff >= 0
                && gOff >= 0
                && xOff + bytes <= x.byteSize()
                && outOff + bytes <= out.byteSize()
                && gOff + rowBytes <= gamma.byteSize()
                && (beta == null || (bOff >= 0 && bOff + rowBytes <= beta.byteSize()));
    }

    /** The rows, as {@link FloatMath#layerNormRows} computes them; the caller has checked {@link #applies}. */
    static void run(
            MemorySegment x,
            long xOff,
            MemorySegment out,
            long outOff,
            int rows,
            int n,
            MemorySegment gamma,
            long gOff,
            MemorySegment beta,
            long bOff,
            float eps) {
        KernelParams.Block p = PARAMS.get();
        long[] v = p.values;
        v[LayerNormKernels.X] = x.address() + xOff;
        v[LayerNormKernels.OUT] = out.address() + outOff;
        v[LayerNormKernels.ROWS] = rows;
        v[LayerNormKernels.X_ROW] = 4L * n;
        v[LayerNormKernels.OUT_ROW] = 4L * n;
        v[LayerNormKernels.BLOCKS] = n / 16;
        v[LayerNormKernels.TAIL] = n % 16;
        v[LayerNormKernels.GAMMA] = gamma.address() + gOff;
        v[LayerNormKernels.BETA] = beta == null ? 0 : beta.address() + bOff;
        v[LayerNormKernels.N] = Float.floatToRawIntBits(n);
        v[LayerNormKernels.EPS] = Float.floatToRawIntBits(eps);
        v[LayerNormKernels.ONE] = Double.doubleToRawLongBits(1.0);
        v[LayerNormKernels.CONSTANTS] = KERNELS.constants();
        KERNELS.run(beta != null, p.publish());
    }
}
