package fsc.runtime;

/**
 * Element types a run-time tensor can hold. One table holds, per type, its byte size, its NumPy
 * {@code descr} string and its ONNX {@code TensorProto.DataType} number, so the file readers and the
 * validation in generated code agree on them.
 */
public enum ElemType {
    F32(4, "<f4", 1),
    F16(2, "<f2", 10),
    // NumPy has no bfloat16; ml_dtypes writes it as a 2-byte void type. We accept and write "<V2".
    BF16(2, "<V2", 16),
    F64(8, "<f8", 11),
    I8(1, "|i1", 3),
    U8(1, "|u1", 2),
    I16(2, "<i2", 5),
    U16(2, "<u2", 4),
    I32(4, "<i4", 6),
    U32(4, "<u4", 12),
    I64(8, "<i8", 7),
    U64(8, "<u8", 13),
    BOOL(1, "|b1", 9),
    // NumPy has no name for the 8-bit floats (ml_dtypes writes all four as "|V1"): no .npy descr.
    F8E4M3FN(1, null, 17),
    F8E4M3FNUZ(1, null, 18),
    F8E5M2(1, null, 19),
    F8E5M2FNUZ(1, null, 20),
    F8E8M0(1, null, 24),
    // 4-bit types, two a byte (first element in the low nibble): byteSize is that of one packed pair.
    U4(1, null, 21),
    I4(1, null, 22),
    F4E2M1(1, null, 23),
    // 2-bit integers, four a byte (low bits first).
    U2(1, null, 25),
    I2(1, null, 26),
    // ONNX STRING: a Tensor's String[] on the heap; no bytes in its segment.
    STRING(0, null, 8);

    private final int byteSize;
    private final String npyDescr;
    private final int onnxCode;

    ElemType(int byteSize, String npyDescr, int onnxCode) {
        this.byteSize = byteSize;
        this.npyDescr = npyDescr;
        this.onnxCode = onnxCode;
    }

    /** Bytes of one element; for the 4-bit types, of one packed pair (use {@link #bytesFor}). */
    public int byteSize() {
        return byteSize;
    }

    /** Several elements a byte: {@code u4}, {@code i4}, {@code f4e2m1} (two), {@code u2}, {@code i2} (four). */
    public boolean isSubByte() {
        return this == U4 || this == I4 || this == F4E2M1 || this == U2 || this == I2;
    }

    /** Bytes holding {@code count} elements (sub-byte types round up to a whole byte). */
    public long bytesFor(long count) {
        if (!isSubByte()) {
            return count * byteSize;
        }
        int perByte = this == U2 || this == I2 ? 4 : 2;
        return (count + perByte - 1) / perByte;
    }

    /**
     * The NumPy dtype string as written in a {@code .npy} header, e.g. {@code <f4}.
     *
     * @throws RuntimeFailure for the 8-bit floats, which NumPy cannot name apart
     */
    public String npyDescr() {
        if (npyDescr == null) {
            throw new RuntimeFailure(shortName() + " tensors cannot be written as .npy: NumPy has no dtype for them");
        }
        return npyDescr;
    }

    /** Whether {@link #npyDescr} names this type (every type but the 8-bit floats). */
    public boolean hasNpyDescr() {
        return npyDescr != null;
    }

    /** The ONNX {@code TensorProto.DataType} number, e.g. 1 for FLOAT. */
    public int onnxCode() {
        return onnxCode;
    }

    /** Lower-case short name used in messages, e.g. {@code f32}. */
    public String shortName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public boolean isFloating() {
        return this == F32
                || this == F16
                || this == BF16
                || this == F64
                || this == F8E4M3FN
                || this == F8E4M3FNUZ
                || this == F8E5M2
                || this == F8E5M2FNUZ
                || this == F8E8M0
                || this == F4E2M1;
    }

    /**
     * The type for a NumPy descr. Byte-order marks are normalised: {@code =} and {@code |} mean
     * native (little-endian here) for one-byte types; {@code >} is rejected for multi-byte types.
     *
     * @throws RuntimeFailure naming the descr when it is not one we hold
     */
    public static ElemType fromNpyDescr(String descr) {
        if (descr.length() >= 2) {
            char order = descr.charAt(0);
            String kind = descr.substring(1);
            for (ElemType t : values()) {
                if (t.npyDescr == null || !t.npyDescr.substring(1).equals(kind)) {
                    continue;
                }
                boolean littleOrAny = order == '<' || order == '|' || order == '=';
                if (littleOrAny || (order == '>' && t.byteSize == 1)) {
                    return t;
                }
                throw new RuntimeFailure("big-endian dtype '" + descr + "' is not supported; save as little-endian");
            }
            if (kind.equals("?")) {
                return BOOL;
            }
        }
        throw new RuntimeFailure("unsupported NumPy dtype '" + descr + "'");
    }

    /**
     * The type for an ONNX {@code TensorProto.DataType} number.
     *
     * @throws RuntimeFailure naming the code when the type is not supported (string, complex, fp8...)
     */
    public static ElemType fromOnnxCode(int code) {
        for (ElemType t : values()) {
            if (t.onnxCode == code) {
                return t;
            }
        }
        throw new RuntimeFailure("unsupported ONNX data_type " + code + onnxName(code));
    }

    private static String onnxName(int code) {
        return switch (code) {
            case 0 -> " (UNDEFINED)";
            case 14 -> " (COMPLEX64)";
            case 15 -> " (COMPLEX128)";
            default -> code >= 17 ? " (float8/int4 types)" : "";
        };
    }
}
