package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** FloatMath against double-precision references. */
class FloatMathTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** erf by its everywhere-positive series 2/√π e^(-x²) Σ 2^n x^(2n+1) / (2n+1)!!; no cancellation. */
    static double erfReference(double x) {
        if (Math.abs(x) > 6) {
            return Math.signum(x);
        }
        double term = x;
        double sum = x;
        for (int n = 1; n < 400 && Math.abs(term) > 1e-18 * Math.abs(sum); n++) {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * sum;
    }

    @Test
    void referenceErfMatchesKnownValues() {
        // Tabulated values (Abramowitz & Stegun table 7.1), so the oracle itself is checked.
        assertEquals(0.5204998778, erfReference(0.5), 1e-10);
        assertEquals(0.8427007929, erfReference(1.0), 1e-10);
        assertEquals(0.9953222650, erfReference(2.0), 1e-10);
        assertEquals(-0.9999779095, erfReference(-3.0), 1e-10);
    }

    @Test
    void scalarErfWithin2e7() {
        double worst = 0;
        for (int i = -600_000; i <= 600_000; i++) {
            float x = i * 1e-5f;
            worst = Math.max(worst, Math.abs(FloatMath.erf(x) - erfReference(x)));
        }
        assertTrue(worst <= 2e-7, "max |erf error| = " + worst);
        assertEquals(1f, FloatMath.erf(Float.POSITIVE_INFINITY));
        assertEquals(-1f, FloatMath.erf(-30f));
        assertEquals(0f, FloatMath.erf(0f));
        assertTrue(Float.isNaN(FloatMath.erf(Float.NaN)));
    }

    @Test
    void vectorErfWithin2e7() {
        float[] xs = new float[S.length()];
        float[] ys = new float[S.length()];
        double worst = 0;
        for (int i = -600_000; i <= 600_000; i += xs.length) {
            for (int l = 0; l < xs.length; l++) {
                xs[l] = (i + l) * 1e-5f;
            }
            FloatMath.erf(FloatVector.fromArray(S, xs, 0)).intoArray(ys, 0);
            for (int l = 0; l < xs.length; l++) {
                worst = Math.max(worst, Math.abs(ys[l] - erfReference(xs[l])));
            }
        }
        assertTrue(worst <= 2e-7, "max |vector erf error| = " + worst);
    }

    @Test
    void geluVariantsMatchTheirDefinitions() {
        float[] xs = new float[S.length()];
        float[] exact = new float[xs.length];
        float[] tanh = new float[xs.length];
        for (int i = -8000; i <= 8000; i += xs.length) {
            for (int l = 0; l < xs.length; l++) {
                xs[l] = (i + l) * 1e-3f;
            }
            FloatMath.gelu(FloatVector.fromArray(S, xs, 0)).intoArray(exact, 0);
            FloatMath.geluTanh(FloatVector.fromArray(S, xs, 0)).intoArray(tanh, 0);
            for (int l = 0; l < xs.length; l++) {
                double x = xs[l];
                double wantExact = 0.5 * x * (1 + erfReference(x / Math.sqrt(2)));
                double wantTanh = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
                double tol = 1e-6 * Math.max(1, Math.abs(x));
                assertEquals(wantExact, exact[l], tol, "gelu(" + x + ")");
                assertEquals(wantExact, FloatMath.gelu(xs[l]), tol, "scalar gelu(" + x + ")");
                assertEquals(wantTanh, tanh[l], tol, "geluTanh(" + x + ")");
                assertEquals(wantTanh, FloatMath.geluTanh(xs[l]), tol, "scalar geluTanh(" + x + ")");
            }
        }
    }

    @Test
    void inPlaceGeluKernelsMatchTheScalarOnes() {
        for (int n : new int[] {1, 15, 16, 100, 1024 + 17}) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment exact = arena.allocate(4 + n * 4L);
                MemorySegment tanh = arena.allocate(4 + n * 4L);
                float[] xs = new float[n];
                for (int i = 0; i < n; i++) {
                    xs[i] = (i - n / 2f) * 0.37f;
                    exact.set(F32, 4 + i * 4L, xs[i]);
                    tanh.set(F32, 4 + i * 4L, xs[i]);
                }
                FloatMath.geluInPlace(exact, 4, n);
                FloatMath.geluTanhInPlace(tanh, 4, n);
                assertEquals(0f, exact.get(F32, 0), "the float before the range is untouched");
                for (int i = 0; i < n; i++) {
                    double tol = 1e-6 * Math.max(1, Math.abs(xs[i]));
                    assertEquals(FloatMath.gelu(xs[i]), exact.get(F32, 4 + i * 4L), tol, "gelu n=" + n + " i=" + i);
                    assertEquals(FloatMath.geluTanh(xs[i]), tanh.get(F32, 4 + i * 4L), tol, "geluTanh n=" + n);
                }
            }
        }
    }

    /**
     * The loop kernels generated code calls for erf and gelu nodes give the lane-wise vector forms'
     * bits on whole vectors and the scalar forms' on the tail, from one source into another.
     */
    @Test
    void erfAndGeluLoopKernelsGiveTheLaneWiseBits() {
        Random rnd = new Random(11);
        // A short run, and runs across the kernels' 1024-float chunks (one ending on a whole chunk).
        for (int n : new int[] {3 * S.length() + 5, 2048, 2 * 1024 + 3 * S.length() + 7}) {
            erfAndGeluLoopKernelsGiveTheLaneWiseBits(rnd, n);
        }
    }

    private static void erfAndGeluLoopKernelsGiveTheLaneWiseBits(Random rnd, int n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(8 + n * 4L);
            MemorySegment erf = arena.allocate(12 + n * 4L);
            MemorySegment gelu = arena.allocate(12 + n * 4L);
            float[] xs = new float[n];
            for (int i = 0; i < n; i++) {
                // Both erf branches (|x| below and above 0.75) and both signs.
                xs[i] = (float) ((rnd.nextDouble() - 0.5) * (i % 2 == 0 ? 1.4 : 8));
                src.set(F32, 8 + i * 4L, xs[i]);
            }
            FloatMath.erf(src, 8, erf, 12, n);
            FloatMath.gelu(src, 8, gelu, 12, n);
            assertEquals(0f, erf.get(F32, 8), "the float before the range is untouched");
            int whole = S.loopBound(n);
            for (int i = 0; i < whole; i += S.length()) {
                FloatVector x = FloatVector.fromArray(S, xs, i);
                float[] e = FloatMath.erf(x).toArray();
                float[] g = FloatMath.gelu(x).toArray();
                for (int l = 0; l < S.length(); l++) {
                    assertEquals(e[l], erf.get(F32, 12 + (i + l) * 4L), "erf at " + (i + l));
                    assertEquals(g[l], gelu.get(F32, 12 + (i + l) * 4L), "gelu at " + (i + l));
                }
            }
            for (int i = whole; i < n; i++) {
                assertEquals(FloatMath.erf(xs[i]), erf.get(F32, 12 + i * 4L), "erf tail at " + i);
                assertEquals(FloatMath.gelu(xs[i]), gelu.get(F32, 12 + i * 4L), "gelu tail at " + i);
            }
        }
    }

    @Test
    void softmaxRowsMatchesReference() {
        Random rnd = new Random(5);
        for (int n : new int[] {1, 7, 16, 33, 384, 1500}) {
            int rows = 3;
            long off = 12;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(off + (long) rows * n * 4);
                double[] x = new double[rows * n];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (rnd.nextDouble() - 0.5) * 20;
                    buf.set(F32, off + i * 4L, (float) x[i]);
                }
                FloatMath.softmaxRows(buf, off, rows, n);
                for (int r = 0; r < rows; r++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        max = Math.max(max, (float) x[r * n + j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        sum += Math.exp((float) x[r * n + j] - max);
                    }
                    for (int j = 0; j < n; j++) {
                        double want = Math.exp((float) x[r * n + j] - max) / sum;
                        float got = buf.get(F32, off + (r * n + j) * 4L);
                        assertEquals(want, got, 2e-6 * want + 1e-9, "n=" + n + " row " + r + " col " + j);
                    }
                }
            }
        }
    }

    @Test
    void layerNormRowsMatchesReferenceWithAndWithoutBias() {
        Random rnd = new Random(6);
        for (int n : new int[] {1, 5, 17, 384, 1500}) {
            for (boolean bias : new boolean[] {true, false}) {
                for (boolean inPlace : new boolean[] {false, true}) {
                    checkLayerNorm(rnd, n, bias, inPlace);
                }
            }
        }
    }

    private static void checkLayerNorm(Random rnd, int n, boolean bias, boolean inPlace) {
        int rows = 4;
        float eps = 1e-5f;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(8 + (long) rows * n * 4);
            MemorySegment out = inPlace ? x : arena.allocate(4 + (long) rows * n * 4);
            long outOff = inPlace ? 8 : 4;
            MemorySegment g = arena.allocate(4 + n * 4L);
            MemorySegment b = arena.allocate(n * 4L);
            float[] xs = new float[rows * n];
            for (int i = 0; i < xs.length; i++) {
                // An offset of 100 makes a one-pass E[x²] - E[x]² variance lose digits; two passes don't.
                xs[i] = 100 + (float) rnd.nextGaussian();
                x.set(F32, 8 + i * 4L, xs[i]);
            }
            for (int j = 0; j < n; j++) {
                g.set(F32, 4 + j * 4L, (float) rnd.nextGaussian());
                b.set(F32, j * 4L, (float) rnd.nextGaussian());
            }
            FloatMath.layerNormRows(x, 8, out, outOff, rows, n, g, 4, bias ? b : null, 0, eps);
            for (int r = 0; r < rows; r++) {
                double mean = 0;
                for (int j = 0; j < n; j++) {
                    mean += xs[r * n + j];
                }
                mean /= n;
                double var = 0;
                for (int j = 0; j < n; j++) {
                    var += (xs[r * n + j] - mean) * (xs[r * n + j] - mean);
                }
                var /= n;
                for (int j = 0; j < n; j++) {
                    double want = (xs[r * n + j] - mean) / Math.sqrt(var + eps) * g.get(F32, 4 + j * 4L)
                            + (bias ? b.get(F32, j * 4L) : 0);
                    float got = out.get(F32, outOff + (r * n + j) * 4L);
                    assertEquals(want, got, 2e-4, "n=" + n + " bias=" + bias + " row " + r + " col " + j);
                }
            }
        }
    }
}
