package fsc.runtime.kernels;

/**
 * A 2-D convolution whose spatial sizes are known only at run time (a detector compiled once for any
 * image size): everything but the sizes is fixed, and {@link #at} returns the {@link Conv2d} for the
 * sizes of the running call. It keeps the last one, so calls at one size allocate nothing; a new
 * size makes a new {@code Conv2d} (its kernel choice, buffers and, at its first call, packed weights),
 * as ONNX Runtime re-plans a conv when its input shape changes.
 */
public final class ResizableConv2d {
    private final int channels;
    private final int filters;
    private final int kernelH;
    private final int kernelW;
    private final int strideH;
    private final int strideW;
    private final int padTop;
    private final int padLeft;
    private final int dilationH;
    private final int dilationW;
    private final int group;
    private final boolean constantWeights;
    private Conv2d current;

    public ResizableConv2d(
            int channels,
            int filters,
            int kernelH,
            int kernelW,
            int strideH,
            int strideW,
            int padTop,
            int padLeft,
            int dilationH,
            int dilationW,
            int group,
            boolean constantWeights) {
        this.channels = channels;
        this.filters = filters;
        this.kernelH = kernelH;
        this.kernelW = kernelW;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padTop = padTop;
        this.padLeft = padLeft;
        this.dilationH = dilationH;
        this.dilationW = dilationW;
        this.group = group;
        this.constantWeights = constantWeights;
    }

    /**
     * The conv for an input of {@code height × width} giving {@code outH × outW} (the caller's
     * shapes, which the model's dims fix).
     *
     * @throws IllegalArgumentException when the input is too small for the window
     */
    public Conv2d at(long height, long width, long outH, long outW) {
        Conv2d c = current;
        if (c != null) {
            ConvShape s = c.shape();
            if (s.height() == height && s.width() == width && s.outH() == outH && s.outW() == outW) {
                return c;
            }
        }
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("input " + height + "x" + width + " is too small for a " + kernelH + "x"
                    + kernelW + " window at stride " + strideH + "x" + strideW);
        }
        c = new Conv2d(
                new ConvShape(
                        channels,
                        Math.toIntExact(height),
                        Math.toIntExact(width),
                        filters,
                        kernelH,
                        kernelW,
                        strideH,
                        strideW,
                        padTop,
                        padLeft,
                        dilationH,
                        dilationW,
                        group,
                        Math.toIntExact(outH),
                        Math.toIntExact(outW)),
                constantWeights);
        current = c;
        return c;
    }
}
