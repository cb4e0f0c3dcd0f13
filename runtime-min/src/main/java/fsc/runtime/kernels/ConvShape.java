package fsc.runtime.kernels;

/**
 * The fixed geometry of one 2-D convolution ({@code NCHW} input, {@code [M, C/group, KH, KW]}
 * weights), resolved at compile time: channels, spatial sizes, kernel, strides, leading pads,
 * dilations, group and output size. Trailing pads are implied by the output size.
 */
public record ConvShape(
        int channels,
        int height,
        int width,
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
        int outH,
        int outW) {

    public ConvShape {
        if (channels <= 0 || height <= 0 || width <= 0 || filters <= 0 || kernelH <= 0 || kernelW <= 0) {
            throw new IllegalArgumentException("conv sizes must be positive: " + this);
        }
        if (strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0 || padTop < 0 || padLeft < 0) {
            throw new IllegalArgumentException(
                    "conv strides and dilations must be positive, pads non-negative: " + this);
        }
        if (group <= 0 || channels % group != 0 || filters % group != 0) {
            throw new IllegalArgumentException("group " + group + " must divide channels and filters: " + this);
        }
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("conv output must not be empty: " + this);
        }
    }

    /** Input channels per group. */
    public int groupChannels() {
        return channels / group;
    }

    /** Output channels per group. */
    public int groupFilters() {
        return filters / group;
    }

    /** Rows of the im2col matrix (and the GEMM's K): input channels per group times kernel taps. */
    public int columnRows() {
        return groupChannels() * kernelH * kernelW;
    }

    public int outPixels() {
        return outH * outW;
    }

    public int inPixels() {
        return height * width;
    }

    /** One filter per input channel: the depthwise convolutions of MobileNets. */
    public boolean isDepthwise() {
        return groupChannels() == 1 && groupFilters() == 1;
    }

    /** A 1x1, stride-1, unpadded convolution: a GEMM over the input as it is, no im2col copy. */
    public boolean isPointwise() {
        return kernelH == 1
                && kernelW == 1
                && strideH == 1
                && strideW == 1
                && padTop == 0
                && padLeft == 0
                && outH == height
                && outW == width;
    }
}
