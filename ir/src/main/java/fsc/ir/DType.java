package fsc.ir;

/**
 * Element types of IR tensors. Packed quantized types (GGUF block layouts) are first-class: a tensor
 * of {@code q8_0[4096,4096]} stores its last dimension in blocks of {@link #blockSize()} elements,
 * each {@link #blockBytes()} long, exactly as in the GGUF file.
 */
public enum DType {
    F32("f32", 1, 4, true),
    F16("f16", 1, 2, true),
    BF16("bf16", 1, 2, true),
    F64("f64", 1, 8, true),
    I8("i8", 1, 1, false),
    U8("u8", 1, 1, false),
    I16("i16", 1, 2, false),
    U16("u16", 1, 2, false),
    I32("i32", 1, 4, false),
    U32("u32", 1, 4, false),
    I64("i64", 1, 8, false),
    U64("u64", 1, 8, false),
    BOOL("bool", 1, 1, false),
    // ONNX's 8-bit floats (storage formats: element-wise code widens them to float).
    F8E4M3FN("f8e4m3fn", 1, 1, true),
    F8E4M3FNUZ("f8e4m3fnuz", 1, 1, true),
    F8E5M2("f8e5m2", 1, 1, true),
    F8E5M2FNUZ("f8e5m2fnuz", 1, 1, true),
    // OCP MX scale type: an unsigned power of two 2^(code - 127); 0xFF is NaN.
    F8E8M0("f8e8m0", 1, 1, true),
    // ONNX's 4-bit types: two elements a byte, the first in the low nibble; an odd count pads the last byte.
    I4("i4", 2, 1, false),
    U4("u4", 2, 1, false),
    F4E2M1("f4e2m1", 2, 1, true),
    // ONNX's 2-bit integers: four a byte, low bits first.
    I2("i2", 4, 1, false),
    U2("u2", 4, 1, false),
    Q8_0("q8_0", 32, 34, false),
    Q4_0("q4_0", 32, 18, false),
    Q4_1("q4_1", 32, 20, false),
    Q4_K("q4_k", 256, 144, false),
    Q5_K("q5_k", 256, 176, false),
    Q6_K("q6_k", 256, 210, false),
    // ONNX STRING: variable-length text, never in the activation arena. Weights and test data hold it in
    // StringData's length-prefixed UTF-8 form; at run time it is a String[] per tensor.
    STRING("string", 1, 0, false);

    private final String irName;
    private final int blockSize;
    private final int blockBytes;
    private final boolean floating;

    DType(String irName, int blockSize, int blockBytes, boolean floating) {
        this.irName = irName;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.floating = floating;
    }

    /** The name used in {@code .fsir} text, e.g. {@code f32}, {@code q4_k}. */
    public String irName() {
        return irName;
    }

    /** Elements per block: 1 for plain types. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block: the element size for plain types. */
    public int blockBytes() {
        return blockBytes;
    }

    public boolean isFloat() {
        return floating;
    }

    /**
     * Several elements a byte ({@code i4}, {@code u4}, {@code f4e2m1} two, {@code i2}, {@code u2} four):
     * packed, but not a quantized block. {@link #blockSize()} is the elements per byte.
     */
    public boolean isSubByte() {
        return this == I4 || this == U4 || this == F4E2M1 || this == I2 || this == U2;
    }

    public boolean isQuantizedBlock() {
        return blockSize > 1 && !isSubByte();
    }

    /**
     * The type llama.cpp's CPU backend quantizes a matmul's activations to when the weight has this
     * type (ggml's {@code vec_dot_type}, by its ggml name, which is also the value of {@code qmatmul}'s
     * {@code activations} attribute), for the types fsc's llama-cpp numerics reproduce: {@code q8_k}
     * for the K-quants, {@code q8_0} for Q4_0 and Q8_0; null for every other weight (f32 activations).
     */
    public String llamaCppVecDotType() {
        return switch (this) {
            case Q4_K, Q5_K, Q6_K -> "q8_k";
            case Q4_0, Q8_0 -> "q8_0";
            default -> null;
        };
    }

    /** Text elements (ONNX STRING): no fixed byte size, so outside every numeric kernel and the arena. */
    public boolean isString() {
        return this == STRING;
    }

    public boolean isInteger() {
        return !floating && !isQuantizedBlock() && this != BOOL && this != STRING;
    }

    /**
     * Bytes needed for {@code elements} elements; block types require whole blocks, sub-byte ones round up.
     * Strings take no arena bytes (0): their data lives on the heap (see {@link StringData} for weights).
     */
    public long bytesFor(long elements) {
        if (isSubByte()) {
            return (elements + blockSize - 1) / blockSize;
        }
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    irName + " needs a multiple of " + blockSize + " elements, got " + elements);
        }
        return elements / blockSize * blockBytes;
    }

    public static DType fromIrName(String name) {
        for (DType t : values()) {
            if (t.irName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "'");
    }
}
