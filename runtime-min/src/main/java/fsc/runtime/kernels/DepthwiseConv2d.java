package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code f32_dwconv2d__vf}: one channel of a depthwise convolution (one filter per input channel,
 * the MobileNet block's spatial half), vectorised across output columns.
 *
 * <p>The channel's input is first copied into a zero-padded plane split by column phase: with
 * stride {@code sw}, phase plane {@code q} holds padded columns {@code q, q + sw, q + 2sw, ...}, so
 * the input column that output column {@code ox} reads through tap {@code kx}, {@code ox·sw +
 * kx·dw}, sits at index {@code ox + ⌊kx·dw / sw⌋} of plane {@code (kx·dw) mod sw}: consecutive
 * output columns read consecutive floats for every stride and dilation, and pads need no branches
 * (XNNPACK reaches the same with its indirection buffers; a phase split is simpler for strides 1
 * and 2, which is all real networks use). Each vector of output columns then takes one FMA per tap
 * with the tap's weight broadcast, starting from the bias, and the activation is applied before
 * the store; the activation then runs over the finished plane while it is in L1.
 */
final class DepthwiseConv2d {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final float[] EVEN_LANES = lanes(0);
    private static final float[] ODD_LANES = lanes(1);

    /** Per-thread buffers, grown on first use and then reused, so a call allocates nothing. */
    private static final class Scratch {
        float[] planes = new float[0]; // the padded phase planes of one channel
        float[] line = new float[0]; // one padded input row, before it is split by phase
        float[] weights = new float[0]; // the channel's taps
        int[] offsets = new int[0]; // each tap's offset into the planes
        float[] out = new float[0]; // the flat kernel's output rows, padding columns included

        void ensure(int planeFloats, int lineFloats, int taps, int outFloats) {
            if (out.length < outFloats) {
                out = new float[outFloats];
            }
            if (planes.length < planeFloats) {
                planes = new float[planeFloats];
            }
            if (line.length < lineFloats) {
                line = new float[lineFloats];
            }
            if (weights.length < taps) {
                weights = new float[taps];
                offsets = new int[taps];
            }
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private DepthwiseConv2d() {}

    /** Rows of the padded plane: every row an output row reads. */
    static int paddedRows(ConvShape s) {
        return (s.outH() - 1) * s.strideH() + (s.kernelH() - 1) * s.dilationH() + 1;
    }

    /** Rows per phase plane: the flat kernel splits rows by phase too, the per-row one does not. */
    static int phaseRows(ConvShape s, boolean flat) {
        int rows = paddedRows(s);
        return flat ? (rows + s.strideH() - 1) / s.strideH() : rows;
    }

    /**
     * Whether a shape runs the flat kernel: every output row but its kernel's first and last few
     * reads all taps, so computing the pad rows' zero taps costs little. Planes shorter than the
     * kernel (the classifier's 2×96 and 3×96 planes under a 5×5 kernel, where most taps of every row
     * fall in the pads) keep the per-row kernel, which skips those taps.
     */
    static boolean flat(ConvShape s) {
        return s.outH() >= s.kernelH();
    }

    /** Columns per phase plane. */
    static int phaseColumns(ConvShape s) {
        int padded = (s.outW() - 1) * s.strideW() + (s.kernelW() - 1) * s.dilationW() + 1;
        return (padded + s.strideW() - 1) / s.strideW();
    }

    /**
     * Channel {@code c} of image {@code n}: reads its plane of {@code x}, its {@code KH×KW} taps of
     * {@code w} and its bias, writes its output plane of {@code y}.
     */
    static void channel(
            ConvShape s,
            int n,
            int c,
            MemorySegment x,
            long xOff,
            MemorySegment w,
            long wOff,
            MemorySegment bias,
            long bOff,
            MemorySegment y,
            long yOff,
            ConvActivation act,
            float lo,
            float hi) {
        boolean flat = flat(s);
        int rows = phaseRows(s, flat);
        int cols = phaseColumns(s);
        int sw = s.strideW();
        int sh = flat ? s.strideH() : 1;
        int taps = s.kernelH() * s.kernelW();
        Scratch sc = SCRATCH.get();
        int planeFloats = sh * sw * rows * cols;
        // Slack past the planes: the flat kernel's last vectors read (and compute junk) past them.
        sc.ensure(planeFloats + cols + 4 * VL, sw * cols, taps, flat ? s.outH() * cols + 4 * VL : 0);
        float[] planes = sc.planes;
        float[] k = sc.weights;
        int[] off = sc.offsets;
        long plane = (long) n * s.channels() + c;
        fill(s, sh, x, xOff + plane * s.inPixels() * 4, planes, sc.line, rows, cols);
        MemorySegment.copy(w, F32, wOff + (long) c * taps * 4, k, 0, taps);
        float b = bias == null ? 0f : bias.get(F32, bOff + (long) c * 4);
        long out = yOff + ((long) n * s.filters() + c) * s.outPixels() * 4;
        // Each kernel in a method of its own, so each is compiled whole with its vectors in
        // registers (one method holding both grew past what C2 kept unboxed: 29 KB per call).
        if (flat) {
            flatChannel(s, planes, rows, cols, k, off, sc.out, b, y, out, act, lo, hi);
        } else {
            rowChannel(s, planes, rows, cols, k, off, b, y, out, act, lo, hi);
        }
    }

    /**
     * The per-row kernel: each output row runs only the kernel rows that read input rows, four
     * vectors of columns per weight broadcast, a masked last vector.
     */
    private static void rowChannel(
            ConvShape s,
            float[] planes,
            int rows,
            int cols,
            float[] k,
            int[] off,
            float b,
            MemorySegment y,
            long out,
            ConvActivation act,
            float lo,
            float hi) {
        int sw = s.strideW();
        int taps = s.kernelH() * s.kernelW();
        int kw = s.kernelW();
        for (int t = 0; t < taps; t++) {
            int ky = t / kw;
            int col = (t % kw) * s.dilationW();
            // Tap (ky, kx) of output (oy, ox) reads plane (kx·dw mod sw), row oy·sh + ky·dh,
            // column ox + ⌊kx·dw / sw⌋; the part that does not depend on (oy, ox) is fixed here.
            off[t] = ((col % sw) * rows + ky * s.dilationH()) * cols + col / sw;
        }
        int ow = s.outW();
        int wide = ow - ow % (4 * VL);
        int vecEnd = ow - ow % VL;
        int kh = s.kernelH();
        int dh = s.dilationH();
        for (int oy = 0; oy < s.outH(); oy++) {
            long row = out + (long) oy * ow * 4;
            int base = oy * s.strideH() * cols;
            // Kernel rows that read input rows, not the zero rows of the top and bottom pads: taps
            // [t0, t1). On short planes most rows are pads (a 5×5 kernel, pad 2, over the 2×96 and
            // 3×96 planes of the classifier's last blocks reads 10 or 15 of its 25 taps).
            int iy0 = oy * s.strideH() - s.padTop();
            int ky0 = iy0 >= 0 ? 0 : Math.min(kh, (-iy0 + dh - 1) / dh);
            int ky1 = Math.max(ky0, Math.min(kh, Math.floorDiv(s.height() - 1 - iy0, dh) + 1));
            int t0 = ky0 * kw;
            int t1 = ky1 * kw;
            // Each column loop in a method of its own, and the last columns in scalar code: with all
            // of them in this method C2 sometimes compiled it with the vectors boxed (28.8 KB per call
            // in Conv2dSteadyStateTest DEPTHWISE, clean-clone CI), and a masked tail left 48 B.
            int ox = rowWide(planes, base, off, k, t0, t1, b, y, row, wide);
            ox = rowVectors(planes, base, off, k, t0, t1, b, y, row, ox, vecEnd);
            rowTail(planes, base, off, k, t0, t1, b, y, row, ox, ow);
        }
        // The channel's plane (a few KB) is still in L1: apply the activation in place, over the
        // whole plane so there is one tail (see ConvRowEpilogue for why not in registers).
        ConvRowEpilogue.activate(y, out, s.outPixels(), act, lo, hi);
    }

    /** Columns {@code [0, wide)} of one output row, four vectors per pass: each tap's weight is broadcast once for all four. */
    private static int rowWide(
            float[] planes,
            int base,
            int[] off,
            float[] k,
            int t0,
            int t1,
            float b,
            MemorySegment y,
            long row,
            int wide) {
        int ox = 0;
        for (; ox < wide; ox += 4 * VL) {
            FloatVector a0 = FloatVector.broadcast(S, b);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int t = t0; t < t1; t++) {
                int at = base + off[t] + ox;
                FloatVector wt = FloatVector.broadcast(S, k[t]);
                a0 = FloatVector.fromArray(S, planes, at).fma(wt, a0);
                a1 = FloatVector.fromArray(S, planes, at + VL).fma(wt, a1);
                a2 = FloatVector.fromArray(S, planes, at + 2 * VL).fma(wt, a2);
                a3 = FloatVector.fromArray(S, planes, at + 3 * VL).fma(wt, a3);
            }
            long o = row + (long) ox * 4;
            a0.intoMemorySegment(y, o, ByteOrder.LITTLE_ENDIAN);
            a1.intoMemorySegment(y, o + VL * 4L, ByteOrder.LITTLE_ENDIAN);
            a2.intoMemorySegment(y, o + 2 * VL * 4L, ByteOrder.LITTLE_ENDIAN);
            a3.intoMemorySegment(y, o + 3 * VL * 4L, ByteOrder.LITTLE_ENDIAN);
        }
        return ox;
    }

    /** Columns {@code [ox, vecEnd)} of one output row, a vector per pass. */
    private static int rowVectors(
            float[] planes,
            int base,
            int[] off,
            float[] k,
            int t0,
            int t1,
            float b,
            MemorySegment y,
            long row,
            int ox,
            int vecEnd) {
        for (; ox < vecEnd; ox += VL) {
            FloatVector acc = FloatVector.broadcast(S, b);
            for (int t = t0; t < t1; t++) {
                int at = base + off[t] + ox;
                acc = FloatVector.fromArray(S, planes, at).fma(FloatVector.broadcast(S, k[t]), acc);
            }
            acc.intoMemorySegment(y, row + (long) ox * 4, ByteOrder.LITTLE_ENDIAN);
        }
        return ox;
    }

    /**
     * The row's last columns {@code [ox, ow)}, fewer than a vector, in scalar code: the same fused
     * multiply-adds per lane in the same tap order as the vector loops, so the same bits.
     */
    private static void rowTail(
            float[] planes,
            int base,
            int[] off,
            float[] k,
            int t0,
            int t1,
            float b,
            MemorySegment y,
            long row,
            int ox,
            int ow) {
        for (; ox < ow; ox++) {
            float acc = b;
            for (int t = t0; t < t1; t++) {
                acc = Math.fma(planes[base + off[t] + ox], k[t], acc);
            }
            y.set(F32, row + (long) ox * 4, acc);
        }
    }

    /**
     * The flat kernel: with rows split by phase as well as columns, tap {@code (ky, kx)} of output
     * {@code (oy, ox)} reads plane {@code (ky·dh mod sh, kx·dw mod sw)} at row {@code oy + ⌊ky·dh /
     * sh⌋}, column {@code ox + ⌊kx·dw / sw⌋}; numbering outputs {@code q = oy·cols + ox} over the
     * planes' row pitch, each tap is one fixed shift of q for every output, so the channel is one
     * run of full vectors (four accumulators per pass: four independent FMA chains where a 20-wide
     * row gave one and a masked one) with no row loop, no masks and no tails. The {@code cols − ow}
     * columns per row past the output and the last vector's lanes are junk, dropped when the rows
     * are copied out with the activation ({@link ConvRowEpilogue#activateCopy}). Taps that read the
     * pad rows add zeros, which only the per-row kernel skips.
     */
    private static void flatChannel(
            ConvShape s,
            float[] planes,
            int rows,
            int cols,
            float[] k,
            int[] off,
            float[] acc,
            float b,
            MemorySegment y,
            long out,
            ConvActivation act,
            float lo,
            float hi) {
        int kw = s.kernelW();
        int sh = s.strideH();
        int sw = s.strideW();
        int taps = s.kernelH() * kw;
        int planeSize = rows * cols;
        for (int t = 0; t < taps; t++) {
            int dy = (t / kw) * s.dilationH();
            int dx = (t % kw) * s.dilationW();
            off[t] = ((dy % sh) * sw + dx % sw) * planeSize + (dy / sh) * cols + dx / sw;
        }
        int ow = s.outW();
        int n = (s.outH() - 1) * cols + ow;
        int q = 0;
        for (; q + 4 * VL <= n; q += 4 * VL) {
            FloatVector a0 = FloatVector.broadcast(S, b);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int t = 0; t < taps; t++) {
                int at = q + off[t];
                FloatVector wt = FloatVector.broadcast(S, k[t]);
                a0 = FloatVector.fromArray(S, planes, at).fma(wt, a0);
                a1 = FloatVector.fromArray(S, planes, at + VL).fma(wt, a1);
                a2 = FloatVector.fromArray(S, planes, at + 2 * VL).fma(wt, a2);
                a3 = FloatVector.fromArray(S, planes, at + 3 * VL).fma(wt, a3);
            }
            a0.intoArray(acc, q);
            a1.intoArray(acc, q + VL);
            a2.intoArray(acc, q + 2 * VL);
            a3.intoArray(acc, q + 3 * VL);
        }
        for (; q < n; q += VL) {
            FloatVector a0 = FloatVector.broadcast(S, b);
            for (int t = 0; t < taps; t++) {
                a0 = FloatVector.fromArray(S, planes, q + off[t]).fma(FloatVector.broadcast(S, k[t]), a0);
            }
            a0.intoArray(acc, q);
        }
        for (int oy = 0; oy < s.outH(); oy++) {
            ConvRowEpilogue.activateCopy(acc, oy * cols, y, out + (long) oy * ow * 4, ow, act, lo, hi);
        }
    }

    /**
     * Copies one input plane into the phase planes: padded row {@code i·sh + a}, padded column {@code
     * j·sw + q} goes to {@code planes[((a·sw + q)·rows + i)·cols + j]}; positions in the pads are zero. Rows are
     * copied with vector loads and stores (a bulk {@code MemorySegment.copy} into the array cost more
     * than the row's FMAs on these short rows); at stride 2 each pair of loaded vectors is split into
     * its even and odd lanes by two permutes ({@code selectFrom}), the two phases' runs. Other
     * strides split a padded row {@code line} one float at a time.
     */
    private static void fill(
            ConvShape s, int sh, MemorySegment x, long base, float[] planes, float[] line, int rows, int cols) {
        int sw = s.strideW();
        int all = paddedRows(s);
        int width = s.width();
        int padded = sw * cols;
        // Valid input columns in padded coordinates: [left, left + width), clipped to the plane.
        int left = s.padLeft();
        int from = Math.min(left, padded);
        int to = Math.min(left + width, padded);
        int count = Math.max(0, to - from);
        for (int pr = 0; pr < all; pr++) {
            int iy = pr - s.padTop();
            boolean inside = iy >= 0 && iy < s.height() && count > 0;
            long src = base + ((long) iy * width) * 4;
            // Padded row pr is row r of row phase pr mod sh (sh is 1 for the per-row kernel); the
            // phase planes of row phase a start at a·sw·rows·cols.
            int r = pr / sh;
            int rowPhase = (pr % sh) * sw * rows * cols;
            if (sw == 1) {
                int at = rowPhase + r * cols;
                if (!inside) {
                    java.util.Arrays.fill(planes, at, at + cols, 0f);
                    continue;
                }
                java.util.Arrays.fill(planes, at, at + from, 0f);
                copyRow(x, src, planes, at + from, count);
                java.util.Arrays.fill(planes, at + to, at + cols, 0f);
                continue;
            }
            if (sw == 2) {
                // Input column 2i goes to phase left mod 2 at j = left/2 + i; 2i + 1 to the other
                // phase at j = (left + 1)/2 + i.
                int qe = left & 1;
                int je = left >> 1;
                int jo = (left + 1) >> 1;
                int evens = (count + 1) >> 1;
                int odds = count >> 1;
                int atE = rowPhase + (qe * rows + r) * cols;
                int atO = rowPhase + ((1 - qe) * rows + r) * cols;
                if (!inside) {
                    java.util.Arrays.fill(planes, atE, atE + cols, 0f);
                    java.util.Arrays.fill(planes, atO, atO + cols, 0f);
                    continue;
                }
                java.util.Arrays.fill(planes, atE, atE + je, 0f);
                java.util.Arrays.fill(planes, atO, atO + jo, 0f);
                splitRow(x, src, count, planes, atE + je, atO + jo);
                java.util.Arrays.fill(planes, atE + je + evens, atE + cols, 0f);
                java.util.Arrays.fill(planes, atO + jo + odds, atO + cols, 0f);
                continue;
            }
            java.util.Arrays.fill(line, 0, padded, 0f);
            if (inside) {
                MemorySegment.copy(x, F32, src, line, from, to - from);
            }
            for (int q = 0; q < sw; q++) {
                int at = rowPhase + (q * rows + r) * cols;
                for (int j = 0; j < cols; j++) {
                    planes[at + j] = line[j * sw + q];
                }
            }
        }
    }

    /** {@code count} floats of {@code x} at byte {@code src} into {@code dst} from index {@code at}. */
    private static void copyRow(MemorySegment x, long src, float[] dst, int at, int count) {
        int i = 0;
        for (; i + VL <= count; i += VL) {
            FloatVector.fromMemorySegment(S, x, src + (long) i * 4, ByteOrder.LITTLE_ENDIAN)
                    .intoArray(dst, at + i);
        }
        if (i < count) {
            VectorMask<Float> m = S.indexInRange(i, count);
            FloatVector.fromMemorySegment(S, x, src + (long) i * 4, ByteOrder.LITTLE_ENDIAN, m)
                    .intoArray(dst, at + i, m);
        }
    }

    /**
     * The {@code count} floats of {@code x} at byte {@code src}: even ones to {@code dst[even..]},
     * odd ones to {@code dst[odd..]}. Loads never reach past the run's last float (the last pair is
     * masked), so a plane's last row reads nothing after it.
     */
    private static void splitRow(MemorySegment x, long src, int count, float[] dst, int even, int odd) {
        FloatVector evenLanes = FloatVector.fromArray(S, EVEN_LANES, 0);
        FloatVector oddLanes = FloatVector.fromArray(S, ODD_LANES, 0);
        int i = 0; // input floats consumed; 2·VL per step
        for (; i + 2 * VL <= count; i += 2 * VL) {
            long f = src + (long) i * 4;
            FloatVector v0 = FloatVector.fromMemorySegment(S, x, f, ByteOrder.LITTLE_ENDIAN);
            FloatVector v1 = FloatVector.fromMemorySegment(S, x, f + VL * 4L, ByteOrder.LITTLE_ENDIAN);
            evenLanes.selectFrom(v0, v1).intoArray(dst, even + i / 2);
            oddLanes.selectFrom(v0, v1).intoArray(dst, odd + i / 2);
        }
        if (i < count) {
            long f = src + (long) i * 4;
            int left = count - i;
            FloatVector v0 = FloatVector.fromMemorySegment(S, x, f, ByteOrder.LITTLE_ENDIAN, S.indexInRange(0, left));
            FloatVector v1 =
                    FloatVector.fromMemorySegment(S, x, f + VL * 4L, ByteOrder.LITTLE_ENDIAN, S.indexInRange(VL, left));
            evenLanes.selectFrom(v0, v1).intoArray(dst, even + i / 2, S.indexInRange(0, (left + 1) >> 1));
            oddLanes.selectFrom(v0, v1).intoArray(dst, odd + i / 2, S.indexInRange(0, left >> 1));
        }
    }

    /** Lane i holds {@code 2i + first}: the even or odd lanes of two concatenated vectors. */
    private static float[] lanes(int first) {
        float[] e = new float[VL];
        for (int i = 0; i < VL; i++) {
            e[i] = 2 * i + first;
        }
        return e;
    }
}
