package fsc.runtime.kernels;

/**
 * The activation a convolution applies to each output while it is still in registers or cache:
 * its fused epilogue, {@code y = act(conv + bias)}. {@code CLIP} takes the bounds given with it
 * (ReLU6 is {@code CLIP(0, 6)}); {@code HARD_SWISH} is {@code x · clip(x + 3, 0, 6) / 6}.
 */
public enum ConvActivation {
    NONE,
    RELU,
    CLIP,
    HARD_SWISH;

    /**
     * The scalar form, also the reference. The vector form is {@link ConvRowEpilogue}: a loop per
     * activation over a run of the output, never a method taking a vector (see there why).
     */
    public float apply(float x, float lo, float hi) {
        return switch (this) {
            case NONE -> x;
            case RELU -> Math.max(x, 0f);
            case CLIP -> Math.min(Math.max(x, lo), hi);
            case HARD_SWISH -> x * Math.min(Math.max(x + 3f, 0f), 6f) / 6f;
        };
    }
}
