package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.TypeName;
import fsc.ir.DType;

/**
 * The one place that maps an IR element type to the Java code reading, computing and writing it.
 * Every element is read into its <em>compute type</em> ({@link #compute}): float for f32 and the
 * 16-bit floats (ONNX computes f16/bf16 ops in float and rounds the result to nearest even), double
 * for f64, int for the 8- and 16-bit integers and bool (unsigned ones zero-extended), long for i64,
 * u64 and u32 (zero-extended, so signed long arithmetic is exact for it). Only u64 needs unsigned
 * operators ({@link #unsignedLong}). Emitters build expressions in the compute type and hand them
 * to {@link #store}, which narrows and rounds.
 */
final class ElemCode {
    private ElemCode() {}

    static final ClassName SMALL_FLOATS = ClassName.get(JavaTypes.RUNTIME + ".kernels", "SmallFloats");
    static final ClassName SUB_BYTE = ClassName.get(JavaTypes.RUNTIME + ".kernels", "SubByte");

    /** The Java type arithmetic on {@code t} runs in. */
    static TypeName compute(DType t) {
        return switch (t) {
            case F32, F16, BF16, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1 -> TypeName.FLOAT;
            case I4, U4, I2, U2 -> TypeName.INT;
            case F64 -> TypeName.DOUBLE;
            case I8, U8, I16, U16, I32, BOOL -> TypeName.INT;
            case U32, I64, U64 -> TypeName.LONG;
            case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K, STRING ->
                throw new IllegalStateException("block type " + t.irName() + " has no element compute type");
        };
    }

    /** Whether {@code t}'s compute value is a long holding an unsigned 64-bit number (needs unsigned ops). */
    static boolean unsignedLong(DType t) {
        return t == DType.U64;
    }

    /** Element {@code index} of segment {@code seg} holding {@code t}, as a value of {@link #compute}. */
    static CodeBlock load(String seg, DType t, CodeBlock index) {
        if (t.isSubByte()) {
            String getter =
                    switch (t) {
                        case I4 -> "int4";
                        case U4 -> "uint4";
                        case I2 -> "int2";
                        case U2 -> "uint2";
                        default -> "f4e2m1";
                    };
            return CodeBlock.of("$T.$L($N, $L)", SUB_BYTE, getter, seg, index);
        }
        CodeBlock raw = Code.get(seg, JavaTypes.layoutField(t), index);
        return switch (t) {
            case F32, F64, I8, I16, I32, I64, U64, BOOL -> raw;
            case F16 -> CodeBlock.of("$T.float16ToFloat($L)", Float.class, raw);
            case BF16 -> CodeBlock.of("$T.bf16ToFloat($L)", SMALL_FLOATS, raw);
            case U8 -> CodeBlock.of("($L & 0xFF)", raw);
            case U16 -> CodeBlock.of("($L & 0xFFFF)", raw);
            case U32 -> CodeBlock.of("$T.toUnsignedLong($L)", Integer.class, raw);
            case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0 ->
                CodeBlock.of("$T.$LToFloat($L)", SMALL_FLOATS, t.irName(), raw);
            case I4, U4, F4E2M1, I2, U2 ->
                throw new IllegalStateException("unreachable: sub-byte types are read above");
            case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K, STRING ->
                throw new IllegalStateException("block type " + t.irName() + " is not read element-wise");
        };
    }

    /** The statement (without semicolon) writing {@code value}, of {@link #compute}, to element {@code index}. */
    static CodeBlock store(String seg, DType t, CodeBlock index, CodeBlock value) {
        return store(seg, t, index, value, Narrowing.DEFAULT);
    }

    /**
     * How ONNX Cast narrows to the 8-bit floats: {@code saturate} clamps out-of-range values (else
     * NaN or ±inf), {@code roundUp} is E8M0's round_mode "up" (else "down"). Ignored for other types.
     */
    record Narrowing(boolean saturate, boolean roundUp) {
        static final Narrowing DEFAULT = new Narrowing(true, true);

        /** From a cast node's {@code saturate} (default 1) and {@code round_mode} (default "up"). */
        static Narrowing of(fsc.ir.Node cast) {
            return new Narrowing(
                    cast.intAttr("saturate") != 0, !cast.strAttr("round_mode").equals("down"));
        }
    }

    /** As {@link #store}, narrowing as {@code how} says. */
    static CodeBlock store(String seg, DType t, CodeBlock index, CodeBlock value, Narrowing how) {
        if (t.isSubByte()) {
            String setter = t == DType.I2 || t == DType.U2 ? "set2" : "set";
            return CodeBlock.of("$T.$L($N, $L, $L)", SUB_BYTE, setter, seg, index, narrow(t, value, how));
        }
        return Code.set(seg, JavaTypes.layoutField(t), index, narrow(t, value, how));
    }

    /** {@code value} of {@link #compute} converted to {@code t}'s storage primitive (see {@link Narrowing}). */
    static CodeBlock narrow(DType t, CodeBlock value, Narrowing how) {
        return switch (t) {
            case F32, F64, I32, I64, U64 -> value;
            case F16 -> CodeBlock.of("$T.floatToFloat16($L)", Float.class, value);
            case BF16 -> CodeBlock.of("$T.floatToBf16($L)", SMALL_FLOATS, value);
            case I8, U8, BOOL -> CodeBlock.of("(byte) ($L)", value);
            case I16, U16 -> CodeBlock.of("(short) ($L)", value);
            case U32 -> CodeBlock.of("(int) ($L)", value);
            case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ ->
                CodeBlock.of("$T.floatTo$L($L, $L)", SMALL_FLOATS, capitalized(t.irName()), value, how.saturate());
            case F8E8M0 ->
                CodeBlock.of("$T.floatToF8e8m0($L, $L, $L)", SMALL_FLOATS, value, how.saturate(), how.roundUp());
            // 4-bit integers keep the low bits (SubByte.set masks them); E2M1 always saturates.
            case I4, U4, I2, U2 -> value;
            case F4E2M1 -> CodeBlock.of("$T.toF4e2m1($L)", SUB_BYTE, value);
            case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K, STRING ->
                throw new IllegalStateException("block type " + t.irName() + " is not written element-wise");
        };
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /**
     * ONNX Cast of a compute value of {@code from} to a compute value of {@code to}: floats to integers
     * truncate toward zero (Java's conversion; ONNX leaves out-of-range values undefined), integers
     * wrap, anything to bool is {@code != 0}, and u64 converts to floating point as unsigned.
     */
    static CodeBlock convert(DType from, DType to, CodeBlock v) {
        if (to == DType.BOOL) {
            return CodeBlock.of("($L != 0 ? 1 : 0)", v);
        }
        TypeName src = compute(from);
        TypeName dst = compute(to);
        if (unsignedLong(from) && to.isFloat()) {
            CodeBlock d = CodeBlock.of("$T.unsignedToDouble($L)", SMALL_FLOATS, v);
            return dst.equals(TypeName.DOUBLE) ? d : CodeBlock.of("($T) $L", dst, d);
        }
        if (src.equals(dst)) {
            return v;
        }
        return CodeBlock.of("($T) $L", dst, v);
    }

    /** A Java literal of {@code t}'s compute type holding {@code v}. */
    static CodeBlock literal(DType t, double v) {
        TypeName c = compute(t);
        if (c.equals(TypeName.FLOAT)) {
            if (Double.isNaN(v)) {
                return CodeBlock.of("$T.NaN", Float.class);
            }
            return Double.isInfinite(v)
                    ? CodeBlock.of("$T.$L", Float.class, v > 0 ? "POSITIVE_INFINITY" : "NEGATIVE_INFINITY")
                    : CodeBlock.of("$Lf", (float) v);
        }
        if (c.equals(TypeName.DOUBLE)) {
            if (Double.isNaN(v)) {
                return CodeBlock.of("$T.NaN", Double.class);
            }
            return Double.isInfinite(v)
                    ? CodeBlock.of("$T.$L", Double.class, v > 0 ? "POSITIVE_INFINITY" : "NEGATIVE_INFINITY")
                    : CodeBlock.of("$L", v);
        }
        if (c.equals(TypeName.LONG)) {
            return CodeBlock.of("$LL", (long) v);
        }
        return CodeBlock.of("$L", (int) (long) v);
    }
}
