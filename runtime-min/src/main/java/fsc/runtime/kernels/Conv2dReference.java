package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The obviously-correct 2-D convolution that {@link Conv2d} is tested against: the ONNX definition
 * as nested loops with double accumulation, then the bias and the activation. Offsets are in bytes.
 */
public final class Conv2dReference {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Conv2dReference() {}

    public static void run(
            ConvShape s,
            int batch,
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
        int cg = s.groupChannels();
        int mg = s.groupFilters();
        for (int n = 0; n < batch; n++) {
            for (int m = 0; m < s.filters(); m++) {
                int g = m / mg;
                for (int oy = 0; oy < s.outH(); oy++) {
                    for (int ox = 0; ox < s.outW(); ox++) {
                        double sum = bias == null ? 0 : bias.get(F32, bOff + (long) m * 4);
                        for (int c = 0; c < cg; c++) {
                            for (int ky = 0; ky < s.kernelH(); ky++) {
                                int iy = oy * s.strideH() - s.padTop() + ky * s.dilationH();
                                for (int kx = 0; kx < s.kernelW(); kx++) {
                                    int ix = ox * s.strideW() - s.padLeft() + kx * s.dilationW();
                                    if (iy < 0 || iy >= s.height() || ix < 0 || ix >= s.width()) {
                                        continue;
                                    }
                                    long xi =
                                            (((long) n * s.channels() + g * cg + c) * s.height() + iy) * s.width() + ix;
                                    long wi = (((long) m * cg + c) * s.kernelH() + ky) * s.kernelW() + kx;
                                    sum += (double) x.get(F32, xOff + xi * 4) * w.get(F32, wOff + wi * 4);
                                }
                            }
                        }
                        long yi = (((long) n * s.filters() + m) * s.outH() + oy) * s.outW() + ox;
                        y.set(F32, yOff + yi * 4, act.apply((float) sum, lo, hi));
                    }
                }
            }
        }
    }
}
