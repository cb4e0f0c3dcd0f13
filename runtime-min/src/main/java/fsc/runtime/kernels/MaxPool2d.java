package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code f32_maxpool2d__vf}: 2-D max pooling of fixed geometry on {@code NCHW} planes, separable as
 * in XNNPACK's max-pool microkernels: per output row, first the column-wise max over the window's
 * input rows (contiguous vector loads, only the rows inside the image), written into a line padded
 * with −∞ where the window reaches the pads; then the row-wise max over the window's taps, one
 * vector load per tap from that line (stride 2, MobileNetV3's 2×2 pool, picks the even lanes of two
 * loads with one permute, as {@link ConvCopy#copyStride2}). The geometry is a {@link ConvShape} with
 * one filter per channel (weights unused).
 *
 * <p>The generated window loop it replaces ran at ~0.4 GFLOP-equivalents (10 % of the classifier's
 * time for 9,600 outputs). {@code max} is {@code Math.max} per lane (NaN wins, +0 above −0), which is
 * commutative and associative, so the order of the taps does not change the bits: the result equals
 * the scalar window loop's, −∞ for a window entirely in the pads included.
 *
 * <p>Not safe for concurrent calls (the call's operands are fields, so the parallel body allocates
 * nothing).
 */
public final class MaxPool2d implements Parallelism.IntRangeBody {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Below this many floats read a call runs on the calling thread. */
    private static final long PARALLEL_MIN_WORK = 1L << 15;

    /** Lane i holds 2i: the even lanes of two concatenated vectors, for {@code selectFrom}. */
    private static final float[] EVEN_LANES = evenLanes();

    private static final ThreadLocal<float[][]> LINE = new ThreadLocal<>() {
        @Override
        protected float[][] initialValue() {
            return new float[1][0];
        }
    };

    private final ConvShape s;
    /** Floats of the padded line one output row's taps read. */
    private final int lineFloats;

    private MemorySegment x;
    private long xOff;
    private MemorySegment y;
    private long yOff;

    /** A pool of the given geometry; {@code s} must have one filter per channel. */
    public MaxPool2d(ConvShape s) {
        if (!s.isDepthwise()) {
            throw new IllegalArgumentException("a max pool maps each channel to itself: " + s);
        }
        this.s = s;
        this.lineFloats = (s.outW() - 1) * s.strideW() + (s.kernelW() - 1) * s.dilationW() + 1;
    }

    private static float[] evenLanes() {
        float[] e = new float[VL];
        for (int i = 0; i < VL; i++) {
            e[i] = 2 * i;
        }
        return e;
    }

    public ConvShape shape() {
        return s;
    }

    /** {@code y = maxpool(x)} for {@code batch} images, planes split across {@code par}'s threads. */
    public void run(int batch, MemorySegment x, long xOff, MemorySegment y, long yOff, Parallelism par) {
        this.x = x;
        this.xOff = xOff;
        this.y = y;
        this.yOff = yOff;
        try {
            int planes = batch * s.channels();
            long work = (long) planes * s.outH() * s.kernelH() * s.width();
            if (par == null || par.threads() == 1 || work < PARALLEL_MIN_WORK || planes < 2) {
                run(0, planes);
            } else {
                par.forRange(0, planes, 1, this);
            }
        } finally {
            this.x = null;
            this.y = null;
        }
    }

    @Override
    public void run(int from, int to) {
        // Full vectors may read up to two vectors past the line's last float: the slack keeps them
        // inside the array, and the lanes they give are never stored.
        int need = lineFloats + 3 * VL;
        float[][] holder = LINE.get();
        if (holder[0].length < need) {
            holder[0] = new float[need];
        }
        float[] line = holder[0];
        for (int p = from; p < to; p++) {
            plane(p, line);
        }
    }

    private void plane(int p, float[] line) {
        int width = s.width();
        long in = xOff + (long) p * s.inPixels() * 4;
        long out = yOff + (long) p * s.outPixels() * 4;
        // Valid input columns in line coordinates: [from, to).
        int from = Math.min(s.padLeft(), lineFloats);
        int to = Math.min(s.padLeft() + width, lineFloats);
        int kh = s.kernelH();
        int dh = s.dilationH();
        java.util.Arrays.fill(line, 0, from, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(line, Math.max(to, from), lineFloats, Float.NEGATIVE_INFINITY);
        for (int oy = 0; oy < s.outH(); oy++) {
            int iy0 = oy * s.strideH() - s.padTop();
            int ky0 = iy0 >= 0 ? 0 : Math.min(kh, (-iy0 + dh - 1) / dh);
            int ky1 = Math.max(ky0, Math.min(kh, Math.floorDiv(s.height() - 1 - iy0, dh) + 1));
            columnMax(in, iy0, ky0, ky1, from, to, line);
            rowMax(line, out + (long) oy * s.outW() * 4);
        }
    }

    /** {@code line[from..to)} = the max over window rows {@code [ky0, ky1)} of their input columns. */
    private void columnMax(long in, int iy0, int ky0, int ky1, int from, int to, float[] line) {
        int count = to - from;
        if (count <= 0) {
            return;
        }
        if (ky0 == ky1) {
            java.util.Arrays.fill(line, from, to, Float.NEGATIVE_INFINITY);
            return;
        }
        int dh = s.dilationH();
        long rowBytes = (long) s.width() * 4;
        long first = in + (long) (iy0 + ky0 * dh) * rowBytes;
        int bound = count - count % VL;
        for (int i = 0; i < bound; i += VL) {
            long at = first + (long) i * 4;
            FloatVector v = FloatVector.fromMemorySegment(S, x, at, LE);
            for (int ky = ky0 + 1; ky < ky1; ky++) {
                v = v.max(FloatVector.fromMemorySegment(S, x, at + (long) (ky - ky0) * dh * rowBytes, LE));
            }
            v.intoArray(line, from + i);
        }
        if (bound < count) {
            VectorMask<Float> m = S.indexInRange(bound, count);
            long at = first + (long) bound * 4;
            FloatVector v = FloatVector.fromMemorySegment(S, x, at, LE, m);
            for (int ky = ky0 + 1; ky < ky1; ky++) {
                v = v.max(FloatVector.fromMemorySegment(S, x, at + (long) (ky - ky0) * dh * rowBytes, LE, m));
            }
            v.intoArray(line, from + bound, m);
        }
    }

    /** Output row at byte {@code at}: {@code y[ox] = max over kx of line[ox·sw + kx·dw]}. */
    private void rowMax(float[] line, long at) {
        int ow = s.outW();
        int sw = s.strideW();
        int kw = s.kernelW();
        int dw = s.dilationW();
        if (sw > 2) {
            for (int ox = 0; ox < ow; ox++) {
                float v = line[ox * sw];
                for (int kx = 1; kx < kw; kx++) {
                    v = Math.max(v, line[ox * sw + kx * dw]);
                }
                y.set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, at + (long) ox * 4, v);
            }
            return;
        }
        // One method per stride, so no vector is merged across branches and each compiles with its
        // vectors in registers (the merged form sometimes compiled boxed: 106 KB per call in CI).
        if (sw == 1) {
            rowMaxStride1(line, at, ow, kw, dw);
        } else {
            rowMaxStride2(line, at, ow, kw, dw);
        }
    }

    private void rowMaxStride1(float[] line, long at, int ow, int kw, int dw) {
        for (int ox = 0; ox < ow; ox += VL) {
            FloatVector v = FloatVector.fromArray(S, line, ox);
            for (int kx = 1; kx < kw; kx++) {
                v = v.max(FloatVector.fromArray(S, line, ox + kx * dw));
            }
            if (ox + VL <= ow) {
                v.intoMemorySegment(y, at + (long) ox * 4, LE);
            } else {
                v.intoMemorySegment(y, at + (long) ox * 4, LE, S.indexInRange(ox, ow));
            }
        }
    }

    /** Stride 2: the even lanes of two vectors, one two-source permute per tap. */
    private void rowMaxStride2(float[] line, long at, int ow, int kw, int dw) {
        FloatVector even = FloatVector.fromArray(S, EVEN_LANES, 0);
        for (int ox = 0; ox < ow; ox += VL) {
            int base = 2 * ox;
            FloatVector v =
                    even.selectFrom(FloatVector.fromArray(S, line, base), FloatVector.fromArray(S, line, base + VL));
            for (int kx = 1; kx < kw; kx++) {
                int t = base + kx * dw;
                v = v.max(even.selectFrom(FloatVector.fromArray(S, line, t), FloatVector.fromArray(S, line, t + VL)));
            }
            if (ox + VL <= ow) {
                v.intoMemorySegment(y, at + (long) ox * 4, LE);
            } else {
                v.intoMemorySegment(y, at + (long) ox * 4, LE, S.indexInRange(ox, ow));
            }
        }
    }
}
