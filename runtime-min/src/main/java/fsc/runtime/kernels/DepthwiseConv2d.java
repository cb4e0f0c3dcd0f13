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

    /** Per-thread buffers, grown on first use and then reused, so a call allocates nothing. */
    private static final class Scratch {
        float[] planes = new float[0]; // the padded phase planes of one channel
        float[] line = new float[0]; // one padded input row, before it is split by phase
        float[] weights = new float[0]; // the channel's taps
        int[] offsets = new int[0]; // each tap's offset into the planes

        void ensure(int planeFloats, int lineFloats, int taps) {
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

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private DepthwiseConv2d() {}

    /** Rows of the padded plane: every row an output row reads. */
    static int paddedRows(ConvShape s) {
        return (s.outH() - 1) * s.strideH() + (s.kernelH() - 1) * s.dilationH() + 1;
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
        int rows = paddedRows(s);
        int cols = phaseColumns(s);
        int sw = s.strideW();
        int taps = s.kernelH() * s.kernelW();
        Scratch sc = SCRATCH.get();
        sc.ensure(sw * rows * cols, sw * cols, taps);
        float[] planes = sc.planes;
        float[] k = sc.weights;
        int[] off = sc.offsets;
        long plane = (long) n * s.channels() + c;
        fill(s, x, xOff + plane * s.inPixels() * 4, planes, sc.line, rows, cols);
        MemorySegment.copy(w, F32, wOff + (long) c * taps * 4, k, 0, taps);
        int kw = s.kernelW();
        for (int t = 0; t < taps; t++) {
            int ky = t / kw;
            int col = (t % kw) * s.dilationW();
            // Tap (ky, kx) of output (oy, ox) reads plane (kx·dw mod sw), row oy·sh + ky·dh,
            // column ox + ⌊kx·dw / sw⌋; the part that does not depend on (oy, ox) is fixed here.
            off[t] = ((col % sw) * rows + ky * s.dilationH()) * cols + col / sw;
        }
        float b = bias == null ? 0f : bias.get(F32, bOff + (long) c * 4);
        long out = yOff + ((long) n * s.filters() + c) * s.outPixels() * 4;
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
            int ox = 0;
            // Four vectors of columns per pass: each tap's weight is broadcast once for all four.
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
            for (; ox < vecEnd; ox += VL) {
                FloatVector acc = FloatVector.broadcast(S, b);
                for (int t = t0; t < t1; t++) {
                    int at = base + off[t] + ox;
                    acc = FloatVector.fromArray(S, planes, at).fma(FloatVector.broadcast(S, k[t]), acc);
                }
                acc.intoMemorySegment(y, row + (long) ox * 4, ByteOrder.LITTLE_ENDIAN);
            }
            if (ox < ow) {
                // The row's last columns as one masked vector, not a scalar loop: late MobileNet
                // rows are 24 or 12 wide, a third to all of them past the last full vector.
                VectorMask<Float> m = S.indexInRange(ox, ow);
                FloatVector acc = FloatVector.broadcast(S, b);
                for (int t = t0; t < t1; t++) {
                    int at = base + off[t] + ox;
                    acc = FloatVector.fromArray(S, planes, at, m).fma(FloatVector.broadcast(S, k[t]), acc);
                }
                acc.intoMemorySegment(y, row + (long) ox * 4, ByteOrder.LITTLE_ENDIAN, m);
            }
        }
        // The channel's plane (a few KB) is still in L1: apply the activation in place, over the
        // whole plane so there is one tail (see ConvRowEpilogue for why not in registers).
        ConvRowEpilogue.activate(y, out, s.outPixels(), act, lo, hi);
    }

    /**
     * Copies one input plane into the phase planes: padded row {@code r}, padded column {@code j·sw +
     * q} goes to {@code planes[(q·rows + r)·cols + j]}; positions in the pads are zero. {@code line}
     * holds one padded row while it is split by phase.
     */
    private static void fill(
            ConvShape s, MemorySegment x, long base, float[] planes, float[] line, int rows, int cols) {
        int sw = s.strideW();
        int width = s.width();
        int padded = sw * cols;
        // Valid input columns in padded coordinates: [left, left + width), clipped to the plane.
        int left = s.padLeft();
        int from = Math.min(left, padded);
        int to = Math.min(left + width, padded);
        for (int r = 0; r < rows; r++) {
            int iy = r - s.padTop();
            boolean inside = iy >= 0 && iy < s.height() && to > from;
            if (sw == 1) {
                int at = r * cols;
                if (!inside) {
                    java.util.Arrays.fill(planes, at, at + cols, 0f);
                    continue;
                }
                java.util.Arrays.fill(planes, at, at + from, 0f);
                MemorySegment.copy(x, F32, base + ((long) iy * width) * 4, planes, at + from, to - from);
                java.util.Arrays.fill(planes, at + to, at + cols, 0f);
                continue;
            }
            java.util.Arrays.fill(line, 0, padded, 0f);
            if (inside) {
                MemorySegment.copy(x, F32, base + ((long) iy * width) * 4, line, from, to - from);
            }
            for (int q = 0; q < sw; q++) {
                int at = (q * rows + r) * cols;
                for (int j = 0; j < cols; j++) {
                    planes[at + j] = line[j * sw + q];
                }
            }
        }
    }
}
