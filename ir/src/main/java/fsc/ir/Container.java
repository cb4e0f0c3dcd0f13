package fsc.ir;

/**
 * What a value holds: one tensor (almost every value), or one of ONNX's two container types. A
 * {@code SEQUENCE} is a run-time list of tensors of one element type whose count and shapes are only
 * known when it runs (each element carries its own shape); an {@code OPTIONAL} holds one tensor of a
 * known type or nothing; an {@code OPTIONAL_SEQUENCE} a sequence or nothing. Containers are values of
 * the graph like tensors, but only the ops of {@code fsc.ir.ops.SequenceOps} (and control flow) take
 * them: {@link fsc.ir.ops.Ops#infer} refuses a container operand anywhere else, so every kernel, pass
 * and memory plan that reasons about bytes and shapes keeps seeing tensors only.
 */
public enum Container {
    TENSOR,
    SEQUENCE,
    OPTIONAL,
    OPTIONAL_SEQUENCE;

    /** Whether a value of this kind is a run-time list of tensors (possibly inside an optional). */
    public boolean isSequence() {
        return this == SEQUENCE || this == OPTIONAL_SEQUENCE;
    }

    public boolean isOptional() {
        return this == OPTIONAL || this == OPTIONAL_SEQUENCE;
    }

    /** The kind an optional of this kind holds; {@code OPTIONAL}'s is a tensor. */
    public Container unwrapped() {
        return switch (this) {
            case OPTIONAL -> TENSOR;
            case OPTIONAL_SEQUENCE -> SEQUENCE;
            case TENSOR, SEQUENCE -> throw new IllegalStateException(this + " is not an optional");
        };
    }

    /** An optional of this kind ({@code TENSOR} or {@code SEQUENCE}). */
    public Container wrapped() {
        return switch (this) {
            case TENSOR -> OPTIONAL;
            case SEQUENCE -> OPTIONAL_SEQUENCE;
            case OPTIONAL, OPTIONAL_SEQUENCE -> throw new IllegalStateException("an optional of " + this);
        };
    }
}
