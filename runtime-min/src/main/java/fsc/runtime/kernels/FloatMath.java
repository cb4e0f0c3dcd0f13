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
     * erf, |error| < 1.3e-7 in float arithmetic (measured against a double reference, see FloatMathTest):
     * - |x| < 0.75: Maclaurin series erf(x) = 2/√π · Σ (-1)^n x^(2n+1) / (n! (2n+1)), 9 terms
     *   (the first omitted term is below 1e-11 there);
     * - |x| ≥ 0.75: erf(x) = sign(x) (1 - erfc(|x|)) with erfc from Numerical Recipes in C, 2nd ed.,
     *   §6.2 ("erfcc"): erfc(z) = t · exp(-z² + P(t)), t = 1 / (1 + z/2), a Chebyshev fit with
     *   fractional error below 1.2e-7 everywhere. Computing 1 - erfc keeps the absolute error small
     *   near ±1, where x·P(x²)-style rational fits lose a few float ulps.
     */
    static final float SERIES_LIMIT = 0.75f;
    static final float SQRT_HALF = (float) Math.sqrt(0.5);
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    static final float[] SERIES = seriesCoefficients(9);
    static final float[] ERFCC = {
        -1.26551223f,
        1.00002368f,
        0.37409196f,
        0.09678418f,
        -0.18628806f,
        0.27886807f,
        -1.13520398f,
        1.48851587f,
        -0.82215223f,
        0.17087277f
    };

    private FloatMath() {}

    public static float erf(float x) {
        float z = Math.abs(x);
        if (z < SERIES_LIMIT) {
            float x2 = x * x;
            float p = SERIES[SERIES.length - 1];
            for (int i = SERIES.length - 2; i >= 0; i--) {
                p = Math.fma(p, x2, SERIES[i]);
            }
            return x * p;
        }
        float t = 1f / (1f + 0.5f * z);
        float p = ERFCC[ERFCC.length - 1];
        for (int i = ERFCC.length - 2; i >= 0; i--) {
            p = Math.fma(p, t, ERFCC[i]);
        }
        float erfc = t * (float) Math.exp(Math.fma(-z, z, p));
        return Math.copySign(1f - erfc, x);
    }

    /** Lane-wise {@link #erf(float)}: both branches computed, then blended. */
    public static FloatVector erf(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector p = FloatVector.broadcast(x.species(), SERIES[SERIES.length - 1]);
        for (int i = SERIES.length - 2; i >= 0; i--) {
            p = p.fma(x2, x.broadcast(SERIES[i]));
        }
        FloatVector small = x.mul(p);
        FloatVector z = x.abs();
        FloatVector t = x.broadcast(1f).div(z.fma(0.5f, 1f));
        FloatVector q = FloatVector.broadcast(x.species(), ERFCC[ERFCC.length - 1]);
        for (int i = ERFCC.length - 2; i >= 0; i--) {
            q = q.fma(t, x.broadcast(ERFCC[i]));
        }
        FloatVector erfc = t.mul(VectorExp.exp(z.neg().fma(z, q)));
        FloatVector large = erfc.neg().add(1f);
        large = large.blend(large.neg(), x.lt(0f));
        return large.blend(small, z.lt(SERIES_LIMIT));
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
     * called; e^x is {@link VectorExp#exp}, small enough to inline.
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
            FloatVector p = FloatVector.broadcast(S, SERIES[SERIES.length - 1]);
            for (int j = SERIES.length - 2; j >= 0; j--) {
                p = p.fma(h2, FloatVector.broadcast(S, SERIES[j]));
            }
            FloatVector small = h.mul(p);
            FloatVector z = h.abs();
            FloatVector t = FloatVector.broadcast(S, 1f).div(z.fma(0.5f, 1f));
            FloatVector q = FloatVector.broadcast(S, ERFCC[ERFCC.length - 1]);
            for (int j = ERFCC.length - 2; j >= 0; j--) {
                q = q.fma(t, FloatVector.broadcast(S, ERFCC[j]));
            }
            FloatVector large = t.mul(VectorExp.exp(z.neg().fma(z, q))).neg().add(1f);
            large = large.blend(large.neg(), h.lt(0f));
            FloatVector erf = large.blend(small, z.lt(SERIES_LIMIT));
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
     * Layer normalisation of each row over its {@code n} elements: {@code (x - mean) / sqrt(var + eps)
     * * gamma + beta}, with the biased variance (ONNX LayerNormalization, PyTorch LayerNorm). The mean
     * is taken first and the variance from deviations (two passes), which stays accurate when the
     * mean is large. {@code beta} may be null (no bias). {@code out} may alias {@code x}. Rows, gamma
     * and beta are computed on copies in this thread's {@link RowScratch} rows.
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
        float[] a = RowScratch.floats(n);
        float[] g = RowScratch.floats2(n);
        float[] b = RowScratch.floats3(n);
        MemorySegment.copy(gamma, F32, gOff, g, 0, n);
        if (beta != null) {
            MemorySegment.copy(beta, F32, bOff, b, 0, n);
        }
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(x, F32, xOff + (long) r * n * Float.BYTES, a, 0, n);
            layerNorm(a, n, g, beta != null ? b : null, eps);
            MemorySegment.copy(a, 0, out, F32, outOff + (long) r * n * Float.BYTES, n);
        }
    }

    /** {@link #layerNormRows} of one row, in place in {@code a[0, n)}; {@code b} may be null. */
    private static void layerNorm(float[] a, int n, float[] g, float[] b, float eps) {
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

    private static float[] seriesCoefficients(int terms) {
        float[] c = new float[terms];
        double factorial = 1;
        for (int k = 0; k < terms; k++) {
            if (k > 0) {
                factorial *= k;
            }
            double sign = (k % 2 == 0) ? 1 : -1;
            c[k] = (float) (2 / Math.sqrt(Math.PI) * sign / (factorial * (2 * k + 1)));
        }
        return c;
    }
}
