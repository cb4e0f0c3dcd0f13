package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;

/**
 * What {@link Sgemm#gemmPacked(int, int, int, MemorySegment, long, long, MemorySegment, long,
 * MemorySegment, long, long, boolean, GemmEpilogue, fsc.runtime.Parallelism)} does to each result
 * tile while it is still in cache: {@code C = act(A·B + bias)}, where {@code bias} is an f32 row of
 * {@code n} values (or null). With {@code accumulate} the product is added to C first (a residual
 * connection), so only {@link Activation#NONE} is allowed there: an activation of the sum is not
 * what a residual means.
 */
public record GemmEpilogue(MemorySegment bias, long biasOffset, Activation activation) {
    /** Element-wise functions a GEMM can end with. */
    public enum Activation {
        NONE,
        RELU,
        /** Exact GELU, {@code x/2 · (1 + erf(x/√2))} (BERT, ONNX Gelu). */
        GELU,
        /** Tanh GELU, {@code x/2 · (1 + tanh(√(2/π)(x + 0.044715x³)))} (GPT-2, ONNX Gelu tanh). */
        GELU_TANH
    }

    public static final GemmEpilogue NONE = new GemmEpilogue(null, 0, Activation.NONE);

    public GemmEpilogue {
        if (activation == null) {
            throw new IllegalArgumentException("activation must not be null; use Activation.NONE");
        }
    }

    public static GemmEpilogue bias(MemorySegment bias, long biasOffset) {
        return new GemmEpilogue(bias, biasOffset, Activation.NONE);
    }

    public static GemmEpilogue of(MemorySegment bias, long biasOffset, Activation activation) {
        return new GemmEpilogue(bias, biasOffset, activation);
    }

    boolean isIdentity() {
        return bias == null && activation == Activation.NONE;
    }
}
