package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ONNX RoiAlign-16 over f32: {@code y[r, c] = the output_height × output_width bins of region r of
 * x[batch[r], c]}, each bin the average (or maximum) of bilinear samples on a regular grid. The
 * arithmetic is float, as ONNX Runtime's kernel; samples more than a pixel outside the image are 0,
 * and "max" takes the largest of each sample's four weighted taps, as ONNX's reference does.
 */
public final class RoiAlign {
    private RoiAlign() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    /**
     * @param x {@code [n, c, height, width]}
     * @param rois {@code [regions, 4]}: x1, y1, x2, y2 in input coordinates before {@code spatialScale}
     * @param batch {@code [regions]} i64: the image of each region
     * @param y {@code [regions, c, outH, outW]}
     * @param ratio samples per bin side; 0 takes ceil(bin size)
     * @param halfPixel "half_pixel" (shift by -0.5) rather than "output_half_pixel" (regions at least 1 wide)
     */
    public static void align(
            MemorySegment x,
            MemorySegment rois,
            MemorySegment batch,
            MemorySegment y,
            int n,
            int c,
            int height,
            int width,
            int regions,
            int outH,
            int outW,
            int ratio,
            float spatialScale,
            boolean halfPixel,
            boolean max) {
        float offset = halfPixel ? 0.5f : 0f;
        for (int r = 0; r < regions; r++) {
            long b = batch.getAtIndex(I64, r);
            if (b < 0 || b >= n) {
                throw new IllegalArgumentException(
                        "RoiAlign: batch index " + b + " of region " + r + " is outside [0, " + n + ")");
            }
            float x0 = rois.getAtIndex(F32, r * 4L) * spatialScale - offset;
            float y0 = rois.getAtIndex(F32, r * 4L + 1) * spatialScale - offset;
            float roiW = rois.getAtIndex(F32, r * 4L + 2) * spatialScale - offset - x0;
            float roiH = rois.getAtIndex(F32, r * 4L + 3) * spatialScale - offset - y0;
            if (!halfPixel) {
                roiW = Math.max(roiW, 1f);
                roiH = Math.max(roiH, 1f);
            }
            float binH = roiH / outH;
            float binW = roiW / outW;
            int gridH = ratio > 0 ? ratio : (int) Math.ceil(roiH / outH);
            int gridW = ratio > 0 ? ratio : (int) Math.ceil(roiW / outW);
            float count = Math.max(gridH * gridW, 1);
            for (int ch = 0; ch < c; ch++) {
                long plane = (b * c + ch) * height * width;
                for (int ph = 0; ph < outH; ph++) {
                    for (int pw = 0; pw < outW; pw++) {
                        float acc = 0f;
                        boolean first = true;
                        for (int iy = 0; iy < gridH; iy++) {
                            float yy = y0 + ph * binH + (iy + 0.5f) * binH / gridH;
                            for (int ix = 0; ix < gridW; ix++) {
                                float xx = x0 + pw * binW + (ix + 0.5f) * binW / gridW;
                                float v = sample(x, plane, height, width, yy, xx, max);
                                if (!max) {
                                    acc += v;
                                } else if (first || v > acc) {
                                    acc = v;
                                }
                                first = false;
                            }
                        }
                        long o = (((long) r * c + ch) * outH + ph) * outW + pw;
                        y.setAtIndex(F32, o, max ? acc : acc / count);
                    }
                }
            }
        }
    }

    private static float sample(MemorySegment x, long plane, int height, int width, float yy, float xx, boolean max) {
        if (yy < -1f || yy > height || xx < -1f || xx > width) {
            return 0f;
        }
        yy = Math.max(yy, 0f);
        xx = Math.max(xx, 0f);
        int yLo = (int) yy;
        int xLo = (int) xx;
        int yHi = yLo + 1;
        int xHi = xLo + 1;
        if (yLo >= height - 1) {
            yLo = yHi = height - 1;
            yy = yLo;
        }
        if (xLo >= width - 1) {
            xLo = xHi = width - 1;
            xx = xLo;
        }
        float ly = yy - yLo;
        float lx = xx - xLo;
        float t1 = (1 - ly) * (1 - lx) * x.getAtIndex(F32, plane + (long) yLo * width + xLo);
        float t2 = (1 - ly) * lx * x.getAtIndex(F32, plane + (long) yLo * width + xHi);
        float t3 = ly * (1 - lx) * x.getAtIndex(F32, plane + (long) yHi * width + xLo);
        float t4 = ly * lx * x.getAtIndex(F32, plane + (long) yHi * width + xHi);
        return max ? Math.max(Math.max(t1, t2), Math.max(t3, t4)) : t1 + t2 + t3 + t4;
    }
}
