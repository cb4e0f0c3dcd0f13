package fsc.runtime.llm;

import fsc.runtime.kernels.Lanes;
import fsc.runtime.kernels.VectorExp;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Vector API loops over little-endian float rows in segments, with scalar tails. */
final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * This package's copy of {@link Lanes#rotations()}: its kernels sum a vector's lanes with
     * {@link Lanes#sum}'s tree written in their own body, never passing a vector to a call.
     */
    static final VectorShuffle<Float>[] ROTATE = Lanes.rotations();

    private VectorMath() {}

    /** {@code sum a[i] * b[i]} over {@code n} floats from byte offsets {@code ao} and {@code bo}. */
    static float dot(MemorySegment a, long ao, MemorySegment b, long bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector x = FloatVector.fromMemorySegment(F, a, ao + 4L * i, LE);
            FloatVector y = FloatVector.fromMemorySegment(F, b, bo + 4L * i, LE);
            acc = x.fma(y, acc);
        }
        for (int h = F.length() / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(ROTATE[h]));
        }
        float s = acc.lane(0);
        for (; i < n; i++) {
            s += a.get(LlmKernels.F32, ao + 4L * i) * b.get(LlmKernels.F32, bo + 4L * i);
        }
        return s;
    }

    /** {@code y[i] += alpha * x[i]} over {@code n} floats. */
    static void axpy(float alpha, MemorySegment x, long xo, MemorySegment y, long yo, int n) {
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector xv = FloatVector.fromMemorySegment(F, x, xo + 4L * i, LE);
            FloatVector yv = FloatVector.fromMemorySegment(F, y, yo + 4L * i, LE);
            xv.fma(a, yv).intoMemorySegment(y, yo + 4L * i, LE);
        }
        for (; i < n; i++) {
            y.set(
                    LlmKernels.F32,
                    yo + 4L * i,
                    y.get(LlmKernels.F32, yo + 4L * i) + alpha * x.get(LlmKernels.F32, xo + 4L * i));
        }
    }

    /** {@code y[i] += alpha * x[i]} over {@code n} floats, {@code y} on the heap: the same operations as above. */
    static void axpy(float alpha, MemorySegment x, long xo, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector xv = FloatVector.fromMemorySegment(F, x, xo + 4L * i, LE);
            FloatVector yv = FloatVector.fromArray(F, y, yo + i);
            xv.fma(a, yv).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x.get(LlmKernels.F32, xo + 4L * i);
        }
    }

    /**
     * Replaces {@code a[off..off+n)} by {@code exp(a[i] - max)} (max over the range, so no term
     * overflows) and returns their sum: the numerators and denominator of a softmax.
     */
    static float softmaxNumerators(float[] a, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, a[off + i]);
        }
        return VectorExp.expShiftedSum(a, off, n, max);
    }
}
