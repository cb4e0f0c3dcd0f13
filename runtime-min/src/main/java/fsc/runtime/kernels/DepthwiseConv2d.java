package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
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
 * the single store.
 */
final class DepthwiseConv2d {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Per-thread padded phase planes and one channel's taps; grown on first use, then reused. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

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
        float[][] scratch = SCRATCH.get();
        int need = sw * rows * cols;
        if (scratch[0].length < need) {
            scratch[0] = new float[need];
        }
        if (scratch[1].length < taps + sw * cols) {
            scratch[1] = new float[taps + sw * cols];
        }
        float[] planes = scratch[0];
        float[] k = scratch[1];
        long plane = (long) n * s.channels() + c;
        fill(s, x, xOff + plane * s.inPixels() * 4, planes, k, taps, rows, cols);
        MemorySegment.copy(w, F32, wOff + (long) c * taps * 4, k, 0, taps);
        float b = bias == null ? 0f : bias.get(F32, bOff + (long) c * 4);
        long out = yOff + ((long) n * s.filters() + c) * s.outPixels() * 4;
        int ow = s.outW();
        int kw = s.kernelW();
        int dw = s.dilationW();
        int vecEnd = ow - ow % VL;
        for (int oy = 0; oy < s.outH(); oy++) {
            long row = out + (long) oy * ow * 4;
            int r0 = oy * s.strideH();
            for (int ox = 0; ox < vecEnd; ox += VL) {
                FloatVector acc = FloatVector.broadcast(S, b);
                for (int ky = 0; ky < s.kernelH(); ky++) {
                    int r = r0 + ky * s.dilationH();
                    for (int kx = 0; kx < kw; kx++) {
                        int t = kx * dw;
                        int at = ((t % sw) * rows + r) * cols + t / sw + ox;
                        acc = FloatVector.fromArray(S, planes, at).fma(FloatVector.broadcast(S, k[ky * kw + kx]), acc);
                    }
                }
                act.apply(acc, lo, hi).intoMemorySegment(y, row + (long) ox * 4, ByteOrder.LITTLE_ENDIAN);
            }
            for (int ox = vecEnd; ox < ow; ox++) {
                float acc = b;
                for (int ky = 0; ky < s.kernelH(); ky++) {
                    int r = r0 + ky * s.dilationH();
                    for (int kx = 0; kx < kw; kx++) {
                        int t = kx * dw;
                        acc = Math.fma(planes[((t % sw) * rows + r) * cols + t / sw + ox], k[ky * kw + kx], acc);
                    }
                }
                y.set(F32, row + (long) ox * 4, act.apply(acc, lo, hi));
            }
        }
    }

    /**
     * Copies one input plane into the phase planes: padded row {@code r}, padded column {@code j·sw +
     * q} goes to {@code planes[(q·rows + r)·cols + j]}; positions in the pads are zero. {@code line}
     * (past the taps in {@code k}) holds one padded row while it is split by phase.
     */
    private static void fill(
            ConvShape s, MemorySegment x, long base, float[] planes, float[] k, int taps, int rows, int cols) {
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
            int line = taps;
            java.util.Arrays.fill(k, line, line + padded, 0f);
            if (inside) {
                MemorySegment.copy(x, F32, base + ((long) iy * width) * 4, k, line + from, to - from);
            }
            for (int q = 0; q < sw; q++) {
                int at = (q * rows + r) * cols;
                for (int j = 0; j < cols; j++) {
                    planes[at + j] = k[line + j * sw + q];
                }
            }
        }
    }
}
