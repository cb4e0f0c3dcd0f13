package fsc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

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

    /** The scalar form, also the reference. */
    public float apply(float x, float lo, float hi) {
        return switch (this) {
            case NONE -> x;
            case RELU -> Math.max(x, 0f);
            case CLIP -> Math.min(Math.max(x, lo), hi);
            case HARD_SWISH -> x * Math.min(Math.max(x + 3f, 0f), 6f) / 6f;
        };
    }

    /** The vector form: the same operations in the same order as {@link #apply}. */
    FloatVector apply(FloatVector x, float lo, float hi) {
        return switch (this) {
            case NONE -> x;
            case RELU -> x.max(0f);
            case CLIP -> x.max(lo).min(hi);
            case HARD_SWISH -> x.mul(x.add(3f).max(0f).min(6f)).lanewise(VectorOperators.DIV, 6f);
        };
    }
}
