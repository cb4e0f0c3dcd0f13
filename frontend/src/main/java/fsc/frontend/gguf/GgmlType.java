package fsc.frontend.gguf;

import fsc.ir.DType;
import fsc.ir.FscException;
import java.util.Optional;

/**
 * The ggml tensor types a GGUF file may name, with the block geometry from ggml's {@code
 * type_traits} table. Ids that ggml retired (4, 5, 31-33, 36-38) are absent, so reading one is an
 * error. Types without an fsc {@link DType} are still listed: the reader accepts them, so that
 * {@code fsc inspect} can show a file it cannot compile, and {@link #dtype} reports them by name.
 */
public enum GgmlType {
    F32(0, 1, 4, DType.F32),
    F16(1, 1, 2, DType.F16),
    Q4_0(2, 32, 18, DType.Q4_0),
    Q4_1(3, 32, 20, DType.Q4_1),
    Q5_0(6, 32, 22, null),
    Q5_1(7, 32, 24, null),
    Q8_0(8, 32, 34, DType.Q8_0),
    Q8_1(9, 32, 36, null),
    Q2_K(10, 256, 84, null),
    Q3_K(11, 256, 110, null),
    Q4_K(12, 256, 144, DType.Q4_K),
    Q5_K(13, 256, 176, DType.Q5_K),
    Q6_K(14, 256, 210, DType.Q6_K),
    Q8_K(15, 256, 292, null),
    IQ2_XXS(16, 256, 66, null),
    IQ2_XS(17, 256, 74, null),
    IQ3_XXS(18, 256, 98, null),
    IQ1_S(19, 256, 50, null),
    IQ4_NL(20, 32, 18, null),
    IQ3_S(21, 256, 110, null),
    IQ2_S(22, 256, 82, null),
    IQ4_XS(23, 256, 136, null),
    I8(24, 1, 1, DType.I8),
    I16(25, 1, 2, DType.I16),
    I32(26, 1, 4, DType.I32),
    I64(27, 1, 8, DType.I64),
    F64(28, 1, 8, DType.F64),
    IQ1_M(29, 256, 56, null),
    BF16(30, 1, 2, DType.BF16),
    TQ1_0(34, 256, 54, null),
    TQ2_0(35, 256, 66, null),
    MXFP4(39, 32, 17, null);

    private static final GgmlType[] BY_ID = new GgmlType[40];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int blockBytes;
    private final DType dtype;

    GgmlType(int id, int blockSize, int blockBytes, DType dtype) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.dtype = dtype;
    }

    /** The number stored in a GGUF tensor info. */
    public int id() {
        return id;
    }

    /** Elements per block: 1 for plain types. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block: the element size for plain types. */
    public int blockBytes() {
        return blockBytes;
    }

    /** The fsc element type with the same byte layout, if fsc supports this type. */
    public Optional<DType> toDType() {
        return Optional.ofNullable(dtype);
    }

    /** The fsc element type, or a user error naming {@code where} (a file and tensor) and the type. */
    public DType dtype(String where) {
        if (dtype == null) {
            throw new FscException(
                    where + ": ggml type " + name() + " is not supported by fsc",
                    "re-quantize the model to Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K, F16, BF16 or F32");
        }
        return dtype;
    }

    /** Bytes for {@code elements} elements, or -1 when they are not whole blocks or overflow a long. */
    public long bytesFor(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            return -1;
        }
        long blocks = elements / blockSize;
        return blocks > Long.MAX_VALUE / blockBytes ? -1 : blocks * blockBytes;
    }

    /** The type with this id, or empty for ids ggml never defined or has retired. */
    public static Optional<GgmlType> byId(long id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[(int) id]) : Optional.empty();
    }

    /** The type for an fsc element type, if GGUF can store it. */
    public static Optional<GgmlType> of(DType dtype) {
        for (GgmlType t : values()) {
            if (t.dtype == dtype) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
