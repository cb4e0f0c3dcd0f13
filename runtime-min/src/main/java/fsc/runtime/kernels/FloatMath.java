package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float math for generated code: {@code erf} (for exact GELU), vector {@code exp}, and row kernels
 * (softmax, layer norm) called with constant sizes so the JIT specialises them. Row kernels work on
 * {@code rows} contiguous rows of {@code n} little-endian floats; offsets are in bytes.
 *
 * <p>The row kernels give the same bits whichever JIT tier runs them (issue 16: a model's outputs
 * differed by 2.4e-7 between a cold and a warm process). Two Vector API operations do not: {@code
 * reduceLanes(ADD)} on floats, whose summation order is unspecified (the Java fallback and the x86
 * intrinsic add in different orders), and {@code lanewise(EXP)}, which is SVML's exp when C2
 * intrinsifies it and {@code Math.exp} per lane when it does not. So the row kernels sum lanes with
 * {@link Lanes#sum} (a fixed tree) and take e^x and tanh from {@link VectorExp} (FMAs, adds and
 * integer ops only, each of which is exactly specified).
 */
public final class FloatMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /*
     * erf, |error| < 1.2e-7 in float arithmetic (measured against a double reference, see FloatMathTest),
     * from FMAs, one min and blends only (no division, no exp), so a vector of GELUs is ~35 operations:
     * - |x| < 1: erf(x) = x · SMALL(x²), degree 6;
     * - |x| ≥ 1: erf(x) = sign(x) (1 - LARGE(u)), LARGE ≈ erfc on [1, 3.92] as a degree-12 polynomial in
     *   u = min(|x|, 3.92) · U_SCALE + U_OFFSET ∈ [-1, 1]; erfc(3.92) < 2^-25, so 1 - LARGE rounds to
     *   exactly 1 there and beyond. Computing 1 - erfc keeps the absolute error small near ±1.
     * Both are least-squares fits iterated towards minimax (Lawson) on the float32 evaluation, made for
     * fsc (session 10); they replaced a Maclaurin series plus Numerical Recipes' erfcc, whose division
     * and e^x made exact GELU ~60 operations a vector and 5-11% of a one-thread MiniLM call.
     */
    static final float ERF_SPLIT = 1f;
    static final float LARGE_END = 3.92f;
    static final float U_SCALE = 0.6849315f;
    static final float U_OFFSET = -1.6849315f;
    static final float SQRT_HALF = (float) Math.sqrt(0.5);
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    static final float[] SMALL = {
        1.1283791f, -0.37612605f, 0.112834305f, -0.026848596f, 0.0051797573f, -0.0007942423f, 0.00007647335f
    };
    static final float[] LARGE = {
        0.0005033268f,
        -0.0038780428f,
        0.013931633f,
        -0.03060162f,
        0.045004763f,
        -0.045094475f,
        0.028702684f,
        -0.0065353615f,
        -0.008074949f,
        0.009093204f,
        -0.0022738148f,
        -0.0016333131f,
        0.000855984f
    };

    private FloatMath() {}

    public static float erf(float x) {
        float z = Math.abs(x);
        if (z < ERF_SPLIT) {
            float x2 = x * x;
            float p = SMALL[SMALL.length - 1];
            for (int i = SMALL.length - 2; i >= 0; i--) {
                p = Math.fma(p, x2, SMALL[i]);
            }
            return x * p;
        }
        float u = Math.fma(Math.min(z, LARGE_END), U_SCALE, U_OFFSET);
        float q = LARGE[LARGE.length - 1];
        for (int i = LARGE.length - 2; i >= 0; i--) {
            q = Math.fma(q, u, LARGE[i]);
        }
        return Math.copySign(1f - q, x);
    }

    /** Lane-wise {@link #erf(float)}: both branches computed, then blended. */
    public static FloatVector erf(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector p = FloatVector.broadcast(x.species(), SMALL[SMALL.length - 1]);
        for (int i = SMALL.length - 2; i >= 0; i--) {
            p = p.fma(x2, x.broadcast(SMALL[i]));
        }
        FloatVector small = x.mul(p);
        FloatVector z = x.abs();
        FloatVector u = z.min(LARGE_END).fma(U_SCALE, U_OFFSET);
        FloatVector q = FloatVector.broadcast(x.species(), LARGE[LARGE.length - 1]);
        for (int i = LARGE.length - 2; i >= 0; i--) {
            q = q.fma(u, x.broadcast(LARGE[i]));
        }
        FloatVector large = q.neg().add(1f);
        large = large.blend(large.neg(), x.lt(0f));
        return large.blend(small, z.lt(ERF_SPLIT));
    }

    /** Exact GELU: {@code x/2 · (1 + erf(x/√2))}. */
    public static float gelu(float x) {
        return 0.5f * x * (1f + erf(x * SQRT_HALF));
    }

    public static FloatVector gelu(FloatVector x) {
        return x.mul(0.5f).mul(erf(x.mul(SQRT_HALF)).add(1f));
    }

    /** Tanh GELU: {@code x/2 · (1 + tanh(√(2/π)(x + 0.044715x³)))}, as GPT-2 defines it. */
    public static float geluTanh(float x) {
        float y = SQRT_2_OVER_PI * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1f + (float) Math.tanh(y));
    }

    public static FloatVector geluTanh(FloatVector x) {
        FloatVector y = x.mul(x).mul(x).mul(0.044715f).add(x).mul(SQRT_2_OVER_PI);
        return x.mul(0.5f).mul(VectorExp.tanh(y).add(1f));
    }

    /** In place, {@code x = gelu(x)} for {@code count} floats from byte offset {@code off}. */
    public static void geluInPlace(MemorySegment buf, long off, int count) {
        geluRows(buf, off, 1, count, 0);
    }

    /**
     * In place, {@code x = gelu(x)} over {@code rows} rows of {@code cols} floats, {@code rowBytes}
     * apart, from byte offset {@code off}: a GEMM epilogue hands over a whole panel of C in one call.
     * Loop kernels like this one take only primitives and segments: a vector argument to a call that
     * C2 declines to inline (erf's body is too big for a call site in a larger method) is boxed on
     * every iteration, which costs more than the math. So erf is written out here again rather than
     * called.
     */
    public static void geluRows(MemorySegment buf, long off, int rows, int cols, long rowBytes) {
        for (int row = 0; row < rows; row++) {
            long base = off + row * rowBytes;
            erfOrGelu(buf, base, buf, base, cols, true);
        }
    }

    /**
     * {@code y = gelu(x)} over {@code count} floats (exact GELU, ONNX Gelu with approximate=none):
     * generated code calls this for a gelu node rather than carrying erf's vector body in a helper
     * that takes and returns a FloatVector. Such a helper is inlined only while C2 judges it small;
     * once erf has its own compiled copy (hot while the callers still run in the interpreter) C2
     * declines to inline it ("already compiled into a big method") and every call boxes two
     * vectors, which MiniLmQuantizedVsOrtTest caught as steady-state allocation.
     */
    public static void gelu(MemorySegment x, long xOff, MemorySegment y, long yOff, long count) {
        erfOrGelu(x, xOff, y, yOff, count, true);
    }

    /** {@code y = erf(x)} over {@code count} floats; a loop kernel for the reason {@link #gelu} gives. */
    public static void erf(MemorySegment x, long xOff, MemorySegment y, long yOff, long count) {
        erfOrGelu(x, xOff, y, yOff, count, false);
    }

    /**
     * The one vector body of erf, written out (see {@link #geluRows} for why it is not a call to
     * {@link #erf(FloatVector)}): {@code erf(x)}, or {@code gelu(x) = x/2 (1 + erf(x/√2))} when
     * {@code gelu}. The same bits as the lane-wise {@link #erf(FloatVector)} and {@link
     * #gelu(FloatVector)}; the tail runs the scalar forms, as every vector loop here does. {@code gelu}
     * is loop-invariant, so C2 unswitches it.
     */
    private static void erfOrGelu(
            MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long count, boolean gelu) {
        long bound = S.loopBound(count);
        long i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromMemorySegment(S, src, srcOff + i * Float.BYTES, LE);
            FloatVector h = gelu ? x.mul(SQRT_HALF) : x;
            FloatVector h2 = h.mul(h);
            FloatVector p = FloatVector.broadcast(S, SMALL[SMALL.length - 1]);
            for (int j = SMALL.length - 2; j >= 0; j--) {
                p = p.fma(h2, FloatVector.broadcast(S, SMALL[j]));
            }
            FloatVector small = h.mul(p);
            FloatVector z = h.abs();
            FloatVector u = z.min(LARGE_END).fma(U_SCALE, U_OFFSET);
            FloatVector q = FloatVector.broadcast(S, LARGE[LARGE.length - 1]);
            for (int j = LARGE.length - 2; j >= 0; j--) {
                q = q.fma(u, FloatVector.broadcast(S, LARGE[j]));
            }
            FloatVector large = q.neg().add(1f);
            large = large.blend(large.neg(), h.lt(0f));
            FloatVector erf = large.blend(small, z.lt(ERF_SPLIT));
            FloatVector r = gelu ? x.mul(0.5f).mul(erf.add(1f)) : erf;
            r.intoMemorySegment(dst, dstOff + i * Float.BYTES, LE);
        }
        for (; i < count; i++) {
            float x = src.get(F32, srcOff + i * Float.BYTES);
            dst.set(F32, dstOff + i * Float.BYTES, gelu ? gelu(x) : erf(x));
        }
    }

    /** In place, {@code x = geluTanh(x)}; see {@link #geluInPlace} for why it is a loop kernel. */
    public static void geluTanhInPlace(MemorySegment buf, long off, int count) {
        int bound = S.loopBound(count);
        int i = 0;
        for (; i < bound; i += S.length()) {
            long o = off + (long) i * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(S, buf, o, LE);
            FloatVector y = x.mul(x).mul(x).mul(0.044715f).add(x).mul(SQRT_2_OVER_PI);
            x.mul(0.5f).mul(VectorExp.tanh(y).add(1f)).intoMemorySegment(buf, o, LE);
        }
        for (; i < count; i++) {
            long o = off + (long) i * Float.BYTES;
            buf.set(F32, o, geluTanh(buf.get(F32, o)));
        }
    }

    /** Lane-wise e^x (the Vector API's EXP, an intrinsic on x86; within 1 ulp of Math.exp). */
    public static FloatVector exp(FloatVector x) {
        return VectorExp.exp(x);
    }

    /**
     * In-place softmax of each row: {@code exp(x - max) / Σ exp(x - max)}. Each row is copied into
     * this thread's {@link RowScratch} row, computed there and copied back (see {@link RowScratch}).
     */
    public static void softmaxRows(MemorySegment buf, long offsetBytes, int rows, int n) {
        float[] a = RowScratch.floats(n);
        for (int r = 0; r < rows; r++) {
            long row = offsetBytes + (long) r * n * Float.BYTES;
            MemorySegment.copy(buf, F32, row, a, 0, n);
            expNormalize(a, n, max(a, n));
            MemorySegment.copy(a, 0, buf, F32, row, n);
        }
    }

    /** The largest of {@code a[0, n)}. */
    static float max(float[] a, int n) {
        int bound = S.loopBound(n);
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += S.length()) {
            vmax = vmax.max(FloatVector.fromArray(S, a, i));
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, a[i]);
        }
        return max;
    }

    /**
     * {@code a[i] = exp(a[i] - max)}, then each times {@code 1 / Σ}. The exp loop is {@link
     * VectorExp#expShiftedSum}, whose exp is written out in the loop: this method is small enough for
     * C2 to inline into a large caller, which can leave no budget to inline a vector helper, and a
     * vector passed to a call that is not inlined is boxed (SteadyStateTest caught 96 bytes a row).
     */
    static void expNormalize(float[] a, int n, float max) {
        float s = 1f / VectorExp.expShiftedSum(a, 0, n, max);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, i).mul(s).intoArray(a, i);
        }
        for (; i < n; i++) {
            a[i] = a[i] * s;
        }
    }

    /**
     * The layer-norm row's vector code, warm once a timed call takes under 10 ns per vector pass
     * step (compiled: about 1; the fallback: hundreds); until then rows take {@link LayerNormCold}.
     */
    static final VectorWarmth LAYER_NORM_WARMTH = VectorWarmth.prewarmed(10);

    /**
     * Layer normalisation of each row over its {@code n} elements: {@code (x - mean) / sqrt(var + eps)
     * * gamma + beta}, with the biased variance (ONNX LayerNormalization, PyTorch LayerNorm). The mean
     * is taken first and the variance from deviations (two passes), which stays accurate when the
     * mean is large. {@code beta} may be null (no bias). {@code out} may alias {@code x}. In machine
     * code where {@link NativeLayerNorm} applies (same bits); else rows, gamma and beta are computed
     * on copies in this thread's {@link RowScratch} rows.
     */
    public static void layerNormRows(
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
        if (NativeLayerNorm.applies(x, xOff, out, outOff, rows, n, gamma, gOff, beta, bOff)) {
            NativeLayerNorm.run(x, xOff, out, outOff, rows, n, gamma, gOff, beta, bOff, eps);
            return;
        }
        boolean cold = !LAYER_NORM_WARMTH.warm() && !LAYER_NORM_WARMTH.sample();
        long start = cold || LAYER_NORM_WARMTH.warm() ? 0 : System.nanoTime();
        layerNormRows(x, xOff, out, outOff, rows, n, gamma, gOff, beta, bOff, eps, cold);
        if (start != 0) {
            LAYER_NORM_WARMTH.timed(System.nanoTime() - start, layerNormUnits(rows, n));
        }
    }

    /** The vector passes over {@code rows} rows of {@code n}: {@link #LAYER_NORM_WARMTH}'s units. */
    static long layerNormUnits(int rows, int n) {
        return 3L * rows * ((n + S.length() - 1) / S.length());
    }

    /** {@link #layerNormRows} in vector code, or, {@code cold}, in {@link LayerNormCold}'s scalar twin (same bits). */
    static void layerNormRows(
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
            float eps,
            boolean cold) {
        float[] a = RowScratch.floats(n);
        float[] g = RowScratch.floats2(n);
        float[] b = RowScratch.floats3(n);
        MemorySegment.copy(gamma, F32, gOff, g, 0, n);
        if (beta != null) {
            MemorySegment.copy(beta, F32, bOff, b, 0, n);
        }
        float[] lanes = cold ? RowScratch.lanes(S.length()) : null;
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(x, F32, xOff + (long) r * n * Float.BYTES, a, 0, n);
            if (cold) {
                LayerNormCold.layerNorm(a, n, g, beta != null ? b : null, eps, S.length(), lanes);
            } else {
                layerNorm(a, n, g, beta != null ? b : null, eps);
            }
            MemorySegment.copy(a, 0, out, F32, outOff + (long) r * n * Float.BYTES, n);
        }
    }

    /** {@link #layerNormRows} of one row, in place in {@code a[0, n)}; {@code b} may be null. */
    static void layerNorm(float[] a, int n, float[] g, float[] b, float eps) {
        int bound = S.loopBound(n);
        int vl = S.length();
        FloatVector vs = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += vl) {
            vs = vs.add(FloatVector.fromArray(S, a, i));
        }
        for (int h = vl / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            vs = vs.add(vs.rearrange(Lanes.ROTATE[h]));
        }
        float sum = vs.lane(0);
        for (; i < n; i++) {
            sum += a[i];
        }
        float mean = sum / n;
        FloatVector vq = FloatVector.zero(S);
        i = 0;
        for (; i < bound; i += vl) {
            FloatVector d = FloatVector.fromArray(S, a, i).sub(mean);
            vq = d.fma(d, vq);
        }
        for (int h = vl / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            vq = vq.add(vq.rearrange(Lanes.ROTATE[h]));
        }
        float sq = vq.lane(0);
        for (; i < n; i++) {
            float d = a[i] - mean;
            sq = Math.fma(d, d, sq);
        }
        float rstd = (float) (1.0 / Math.sqrt(sq / n + eps));
        i = 0;
        for (; i < bound; i += vl) {
            FloatVector v = FloatVector.fromArray(S, a, i).sub(mean).mul(rstd).mul(FloatVector.fromArray(S, g, i));
            if (b != null) {
                v = v.add(FloatVector.fromArray(S, b, i));
            }
            v.intoArray(a, i);
        }
        for (; i < n; i++) {
            float v = (a[i] - mean) * rstd * g[i];
            if (b != null) {
                v += b[i];
            }
            a[i] = v;
        }
    }
}
