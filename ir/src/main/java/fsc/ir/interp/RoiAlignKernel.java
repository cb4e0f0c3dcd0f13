package fsc.ir.interp;

/**
 * Reference {@code roi_align} (ONNX RoiAlign-16), in double. Each region of interest is scaled by
 * {@code spatial_scale} (and shifted by half a pixel in "half_pixel" mode; "output_half_pixel" instead
 * makes regions at least one pixel wide), cut into output_height × output_width bins, and each bin
 * sampled on a regular grid ({@code sampling_ratio} points a side, or ceil(bin size) when 0) by
 * bilinear interpolation. Samples more than one pixel outside the image count as 0; "avg" averages
 * the samples, "max" takes the largest of the four weighted taps of each sample, as ONNX's reference
 * (and ONNX Runtime) do.
 */
final class RoiAlignKernel {
    private RoiAlignKernel() {}

    static HostTensor roiAlign(Call c) {
        HostTensor x = c.in(0);
        HostTensor rois = c.in(1);
        HostTensor batch = c.in(2);
        long[] xs = x.shape();
        long channels = xs[1];
        long height = xs[2];
        long width = xs[3];
        long[] ys = c.outShape();
        int outH = (int) ys[2];
        int outW = (int) ys[3];
        boolean max = c.node().strAttr("mode").equals("max");
        boolean halfPixel = c.node().strAttr("coordinate_transformation_mode").equals("half_pixel");
        long ratio = c.node().intAttr("sampling_ratio");
        double scale = c.node().floatAttr("spatial_scale");
        double offset = halfPixel ? 0.5 : 0;
        HostTensor out = c.newOutput();
        for (long r = 0; r < ys[0]; r++) {
            long b = batch.getLong(r);
            if (b < 0 || b >= xs[0]) {
                throw c.fail("batch index " + b + " of region " + r + " is outside [0, " + xs[0] + ")");
            }
            double x0 = rois.getDouble(r * 4) * scale - offset;
            double y0 = rois.getDouble(r * 4 + 1) * scale - offset;
            double roiW = rois.getDouble(r * 4 + 2) * scale - offset - x0;
            double roiH = rois.getDouble(r * 4 + 3) * scale - offset - y0;
            if (!halfPixel) {
                roiW = Math.max(roiW, 1);
                roiH = Math.max(roiH, 1);
            }
            double binH = roiH / outH;
            double binW = roiW / outW;
            long gridH = ratio > 0 ? ratio : (long) Math.ceil(roiH / outH);
            long gridW = ratio > 0 ? ratio : (long) Math.ceil(roiW / outW);
            double count = Math.max(gridH * gridW, 1);
            for (long ch = 0; ch < channels; ch++) {
                long plane = (b * channels + ch) * height * width;
                for (int ph = 0; ph < outH; ph++) {
                    for (int pw = 0; pw < outW; pw++) {
                        double acc = 0;
                        boolean first = true;
                        for (long iy = 0; iy < gridH; iy++) {
                            double yy = y0 + ph * binH + (iy + 0.5) * binH / gridH;
                            for (long ix = 0; ix < gridW; ix++) {
                                double xx = x0 + pw * binW + (ix + 0.5) * binW / gridW;
                                double v = sample(x, plane, height, width, yy, xx, max);
                                if (!max) {
                                    acc += v;
                                } else if (first || v > acc) {
                                    acc = v;
                                }
                                first = false;
                            }
                        }
                        long o = ((r * channels + ch) * outH + ph) * outW + pw;
                        out.setDouble(o, max ? acc : acc / count);
                    }
                }
            }
        }
        return out;
    }

    /** The bilinear sample at (y, x): the sum of the four weighted taps, or their maximum when {@code max}. */
    private static double sample(HostTensor x, long plane, long height, long width, double y, double xx, boolean max) {
        if (y < -1 || y > height || xx < -1 || xx > width) {
            return 0;
        }
        y = Math.max(y, 0);
        xx = Math.max(xx, 0);
        long yLo = (long) y;
        long xLo = (long) xx;
        long yHi = yLo + 1;
        long xHi = xLo + 1;
        if (yLo >= height - 1) {
            yLo = yHi = height - 1;
            y = yLo;
        }
        if (xLo >= width - 1) {
            xLo = xHi = width - 1;
            xx = xLo;
        }
        double ly = y - yLo;
        double lx = xx - xLo;
        double[] taps = {
            (1 - ly) * (1 - lx) * x.getDouble(plane + yLo * width + xLo),
            (1 - ly) * lx * x.getDouble(plane + yLo * width + xHi),
            ly * (1 - lx) * x.getDouble(plane + yHi * width + xLo),
            ly * lx * x.getDouble(plane + yHi * width + xHi)
        };
        return max
                ? Math.max(Math.max(taps[0], taps[1]), Math.max(taps[2], taps[3]))
                : taps[0] + taps[1] + taps[2] + taps[3];
    }
}
