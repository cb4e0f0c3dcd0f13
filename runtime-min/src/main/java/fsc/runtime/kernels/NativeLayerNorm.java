package fsc.runtime.kernels;

import fsc.runtime.x86.LayerNormKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    private static final Params PARAMS = new Params();

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
        MemorySegment p = PARAMS.get();
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.X, x.address() + xOff);
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.OUT, out.address() + outOff);
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.ROWS, rows);
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.X_ROW, 4L * n);
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.OUT_ROW, 4L * n);
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.BLOCKS, n / 16);
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.TAIL, n % 16);
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.GAMMA, gamma.address() + gOff);
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.BETA, beta == null ? 0 : beta.address() + bOff);
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.N, Float.floatToRawIntBits(n));
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.EPS, Float.floatToRawIntBits(eps));
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.ONE, Double.doubleToRawLongBits(1.0));
        p.setAtIndex(ValueLayout.JAVA_LONG, LayerNormKernels.CONSTANTS, KERNELS.constants());
        KERNELS.run(beta != null, p.address());
    }

    /** A parameter block per thread (a subclass, not {@code withInitial}: no lambda to spin cold). */
    private static final class Params extends ThreadLocal<MemorySegment> {
        @Override
        protected MemorySegment initialValue() {
            return Arena.ofAuto().allocate(8L * LayerNormKernels.PARAMS, 64);
        }
    }
}
