package fsc.cli.conformance;

import fsc.ir.WeightData;
import fsc.runtime.Tensor;
import fsc.runtime.kernels.Float8;
import fsc.runtime.kernels.SmallFloats;
import fsc.runtime.kernels.SubByte;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * A tensor seen as numbers, whichever side it comes from (an expected {@code .pb} or a model
 * output): its dtype name ({@code f32}, {@code i64}, ... — the IR and the runtime spell them alike),
 * its shape and its little-endian bytes; a string tensor its elements in {@code strings} instead.
 */
record TensorValues(String dtype, long[] shape, MemorySegment bytes, String[] strings) {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static TensorValues of(WeightData w) {
        long[] shape = w.dims().stream().mapToLong(Long::longValue).toArray();
        if (w.dtype().isString()) {
            return new TensorValues(
                    "string",
                    shape,
                    MemorySegment.ofArray(new byte[0]),
                    fsc.ir.StringData.decode(w.view()).toArray(String[]::new));
        }
        return new TensorValues(w.dtype().irName(), shape, MemorySegment.ofBuffer(w.view()), null);
    }

    static TensorValues of(Tensor t) {
        return new TensorValues(t.type().shortName(), t.shape().clone(), t.data(), t.strings());
    }

    boolean isString() {
        return strings != null;
    }

    long count() {
        return Arrays.stream(shape).reduce(1, Math::multiplyExact);
    }

    String typeString() {
        return dtype + Arrays.toString(shape).replace(" ", "");
    }

    boolean isInteger() {
        return !isString()
                && !List.of(
                                "f32",
                                "f64",
                                "f16",
                                "bf16",
                                "f8e4m3fn",
                                "f8e4m3fnuz",
                                "f8e5m2",
                                "f8e5m2fnuz",
                                "f8e8m0",
                                "f4e2m1")
                        .contains(dtype);
    }

    /** Element {@code i} as a double (integers up to 2^53 exactly). */
    double get(long i) {
        return switch (dtype) {
            case "f32" -> bytes.getAtIndex(F32, i);
            case "f64" -> bytes.getAtIndex(F64, i);
            case "f16" -> Float.float16ToFloat(bytes.getAtIndex(I16, i));
            case "bf16" -> Float.intBitsToFloat((bytes.getAtIndex(I16, i) & 0xFFFF) << 16);
            case "f8e4m3fn" -> Float8.E4M3FN.decode(bytes.get(ValueLayout.JAVA_BYTE, i));
            case "f8e4m3fnuz" -> Float8.E4M3FNUZ.decode(bytes.get(ValueLayout.JAVA_BYTE, i));
            case "f8e5m2" -> Float8.E5M2.decode(bytes.get(ValueLayout.JAVA_BYTE, i));
            case "f8e5m2fnuz" -> Float8.E5M2FNUZ.decode(bytes.get(ValueLayout.JAVA_BYTE, i));
            case "f4e2m1" -> SubByte.f4e2m1(bytes, i);
            case "f8e8m0" -> SmallFloats.f8e8m0ToFloat(bytes.get(ValueLayout.JAVA_BYTE, i));
            default -> getLong(i);
        };
    }

    /** Element {@code i} of an integer or bool tensor; u64 above 2^63 reads negative, as in two's complement. */
    long getLong(long i) {
        return switch (dtype) {
            case "i8" -> bytes.get(ValueLayout.JAVA_BYTE, i);
            case "u8", "bool" -> bytes.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            case "i16" -> bytes.getAtIndex(I16, i);
            case "u16" -> bytes.getAtIndex(I16, i) & 0xFFFF;
            case "i32" -> bytes.getAtIndex(I32, i);
            case "u32" -> bytes.getAtIndex(I32, i) & 0xFFFF_FFFFL;
            case "i64", "u64" -> bytes.getAtIndex(I64, i);
            case "i4" -> SubByte.int4(bytes, i);
            case "u4" -> SubByte.uint4(bytes, i);
            case "i2" -> SubByte.int2(bytes, i);
            case "u2" -> SubByte.uint2(bytes, i);
            default -> throw new IllegalStateException("getLong on " + dtype);
        };
    }
}
