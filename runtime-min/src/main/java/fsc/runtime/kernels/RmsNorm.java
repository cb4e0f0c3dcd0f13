package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = x / sqrt(mean(x²) + eps) * scale} per row (LLaMA's RMSNorm), as the one runtime kernel
 * every layer's norm calls. Generated code used to carry a loop per norm node; such a method runs
 * once per decoder step, so HotSpot compiles it only after hundreds of steps and a prefill ran it
 * in the interpreter or C1 (Vector API not intrinsified) on every call. {@link #row} is entered
 * once per row of every layer, so C2 compiles it within the first step.
 *
 * <p>The operations and their order are those of {@code NormEmitter}'s loop (a vector sum of
 * squares, {@link Lanes#sum}, a scalar tail, {@code x * inv * scale}), so results are bit-identical
 * to it.
 */
public final class RmsNorm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * {@link #row}'s vector code, warm once a timed call takes under 20 ns per vector pass step
     * (compiled: about 1; the fallback: hundreds); until then {@link #rows} takes {@link #rowsCold}.
     */
    private static final VectorWarmth WARMTH = new VectorWarmth(20);

    private RmsNorm() {}

    /** Rows {@code [from, to)} of {@code n} floats from byte {@code xOff} of {@code x} into {@code y}. */
    public static void rows(
            MemorySegment x,
            long xOff,
            MemorySegment y,
            long yOff,
            int from,
            int to,
            int n,
            MemorySegment scale,
            long scaleOff,
            float eps) {
        long rowBytes = 4L * n;
        if (!WARMTH.warm() && !WARMTH.sample()) {
            rowsCold(x, xOff, y, yOff, from, to, n, scale, scaleOff, eps);
            return;
        }
        long start = WARMTH.warm() ? 0 : System.nanoTime();
        for (int r = from; r < to; r++) {
            row(x, xOff + r * rowBytes, y, yOff + r * rowBytes, n, scale, scaleOff, eps);
        }
        if (start != 0) {
            WARMTH.timed(System.nanoTime() - start, 2L * (to - from) * (n / S.length()));
        }
    }

    /**
     * {@link #rows} in plain loops over heap copies, for a fresh JVM ({@link VectorWarmth}): the
     * vector code's arithmetic in its order (one sum of squares per lane, {@link LaneSums#sumInPlace},
     * the tail, {@code x * inv * scale}), so the same bits.
     */
    static void rowsCold(
            MemorySegment x,
            long xOff,
            MemorySegment y,
            long yOff,
            int from,
            int to,
            int n,
            MemorySegment scale,
            long scaleOff,
            float eps) {
        int vl = S.length();
        int bound = n - n % vl;
        float[] a = RowScratch.floats(n);
        float[] g = RowScratch.floats2(n);
        float[] lanes = RowScratch.lanes(vl);
        MemorySegment.copy(scale, F32, scaleOff, g, 0, n);
        for (int r = from; r < to; r++) {
            long at = 4L * r * n;
            MemorySegment.copy(x, F32, xOff + at, a, 0, n);
            java.util.Arrays.fill(lanes, 0, vl, 0f);
            for (int i = 0; i < bound; i += vl) {
                for (int l = 0; l < vl; l++) {
                    float v = a[i + l];
                    lanes[l] += v * v;
                }
            }
            float ms = LaneSums.sumInPlace(lanes, 0, vl);
            for (int i = bound; i < n; i++) {
                ms += a[i] * a[i];
            }
            float inv = 1f / (float) Math.sqrt(ms / n + eps);
            for (int i = 0; i < n; i++) {
                a[i] = a[i] * inv * g[i];
            }
            MemorySegment.copy(a, 0, y, F32, yOff + at, n);
        }
    }

    /** One row of {@code n} floats at byte {@code xo} of {@code x} into byte {@code yo} of {@code y}. */
    public static void row(
            MemorySegment x, long xo, MemorySegment y, long yo, int n, MemorySegment scale, long so, float eps) {
        int vl = S.length();
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += vl) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, xo + 4L * i, LE);
            acc = acc.add(v.mul(v));
        }
        for (int h = vl / 2; h > 0; h /= 2) { // Lanes' tree, inline: no vector crosses a call
            acc = acc.add(acc.rearrange(Lanes.ROTATE[h]));
        }
        float ms = acc.lane(0);
        for (; i < n; i++) {
            float v = x.get(F32, xo + 4L * i);
            ms += v * v;
        }
        float inv = 1f / (float) Math.sqrt(ms / n + eps);
        FloatVector vinv = FloatVector.broadcast(S, inv);
        i = 0;
        for (; i < bound; i += vl) {
            FloatVector.fromMemorySegment(S, x, xo + 4L * i, LE)
                    .mul(vinv)
                    .mul(FloatVector.fromMemorySegment(S, scale, so + 4L * i, LE))
                    .intoMemorySegment(y, yo + 4L * i, LE);
        }
        for (; i < n; i++) {
            y.set(F32, yo + 4L * i, x.get(F32, xo + 4L * i) * inv * scale.get(F32, so + 4L * i));
        }
    }
}
