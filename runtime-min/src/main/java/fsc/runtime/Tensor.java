package fsc.runtime;

import fsc.runtime.kernels.Float8;
import fsc.runtime.kernels.SmallFloats;
import fsc.runtime.kernels.SubByte;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense tensor: row-major, contiguous, little-endian elements in a {@link MemorySegment}. The
 * segment may be native (an arena, a mapped weights file) or on the heap; kernels only assume it is
 * readable at the byte offsets the shape implies.
 *
 * <p>{@code shape} is copied on construction and must not be mutated through {@link #shape()}; the
 * accessor does not copy because generated code reads it on hot paths.
 *
 * <p>A {@link ElemType#STRING} tensor holds its elements in {@code strings} (row-major) and an empty
 * segment; every other type has {@code strings == null}.
 */
public record Tensor(ElemType type, long[] shape, MemorySegment data, String[] strings) {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Tensor {
        if (type == null || shape == null || data == null) {
            throw new IllegalArgumentException("type, shape and data must not be null");
        }
        shape = shape.clone();
        long count = countOf(shape);
        if ((type == ElemType.STRING) != (strings != null)) {
            throw new IllegalArgumentException("a string tensor, and only one, holds strings");
        }
        if (strings != null && strings.length != count) {
            throw new IllegalArgumentException(
                    "a string" + Arrays.toString(shape) + " tensor needs " + count + " strings, got " + strings.length);
        }
        if (data.byteSize() != type.bytesFor(count)) {
            throw new IllegalArgumentException("a " + type.shortName() + Arrays.toString(shape) + " tensor needs "
                    + type.bytesFor(count) + " bytes, the segment has " + data.byteSize());
        }
    }

    /** A tensor of a numeric or bool type. */
    public Tensor(ElemType type, long[] shape, MemorySegment data) {
        this(type, shape, data, null);
    }

    /** A string tensor holding {@code values} (not copied: the caller hands them over). */
    public static Tensor ofStrings(long[] shape, String... values) {
        return new Tensor(ElemType.STRING, shape, MemorySegment.ofArray(new byte[0]), values);
    }

    /** A zero-filled tensor in {@code arena}, aligned to 64 bytes so vector loads never split lines. */
    public static Tensor allocate(ElemType type, long[] shape, Arena arena) {
        if (type == ElemType.STRING) {
            String[] empty = new String[Math.toIntExact(countOf(shape))];
            Arrays.fill(empty, "");
            return ofStrings(shape, empty);
        }
        long bytes = type.bytesFor(countOf(shape));
        return new Tensor(type, shape, arena.allocate(bytes, 64));
    }

    /** An f32 tensor holding {@code values}, in GC-managed native memory. */
    public static Tensor ofFloats(long[] shape, float... values) {
        Tensor t = allocate(ElemType.F32, shape, Arena.ofAuto());
        checkCount(t, values.length);
        MemorySegment.copy(values, 0, t.data, F32, 0, values.length);
        return t;
    }

    /** An i64 tensor holding {@code values}, in GC-managed native memory. */
    public static Tensor ofLongs(long[] shape, long... values) {
        Tensor t = allocate(ElemType.I64, shape, Arena.ofAuto());
        checkCount(t, values.length);
        MemorySegment.copy(values, 0, t.data, I64, 0, values.length);
        return t;
    }

    public long elementCount() {
        return countOf(shape);
    }

    public int rank() {
        return shape.length;
    }

    /** Element {@code i} (flat, row-major) converted to float, whatever the element type. */
    public float getFloat(long i) {
        long off = i * type.byteSize();
        return switch (type) {
            case F32 -> data.get(F32, off);
            case F16 -> Float.float16ToFloat(data.get(I16, off));
            case BF16 -> Float.intBitsToFloat(data.get(I16, off) << 16);
            case F64 -> (float) data.get(F64, off);
            case I8 -> data.get(ValueLayout.JAVA_BYTE, off);
            case U8 -> Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, off));
            case I16 -> data.get(I16, off);
            case U16 -> Short.toUnsignedInt(data.get(I16, off));
            case I32 -> data.get(I32, off);
            case U32 -> Integer.toUnsignedLong(data.get(I32, off));
            case I64 -> data.get(I64, off);
            case U64 -> unsignedToFloat(data.get(I64, off));
            case BOOL -> data.get(ValueLayout.JAVA_BYTE, off) != 0 ? 1f : 0f;
            case F8E4M3FN -> Float8.E4M3FN.decode(data.get(ValueLayout.JAVA_BYTE, off));
            case F8E4M3FNUZ -> Float8.E4M3FNUZ.decode(data.get(ValueLayout.JAVA_BYTE, off));
            case F8E5M2 -> Float8.E5M2.decode(data.get(ValueLayout.JAVA_BYTE, off));
            case F8E5M2FNUZ -> Float8.E5M2FNUZ.decode(data.get(ValueLayout.JAVA_BYTE, off));
            case F8E8M0 -> SmallFloats.f8e8m0ToFloat(data.get(ValueLayout.JAVA_BYTE, off));
            case U4 -> SubByte.uint4(data, i);
            case I4 -> SubByte.int4(data, i);
            case F4E2M1 -> SubByte.f4e2m1(data, i);
            case U2 -> SubByte.uint2(data, i);
            case I2 -> SubByte.int2(data, i);
            case STRING -> throw new IllegalStateException("getFloat on a string tensor; use strings()");
        };
    }

    /**
     * Element {@code i} of an integer or bool tensor as a long (u64 values above 2^63 wrap, as in
     * Java). Floating tensors are refused: silently truncating them hides a wrong dtype.
     */
    public long getLong(long i) {
        long off = i * type.byteSize();
        return switch (type) {
            case I8 -> data.get(ValueLayout.JAVA_BYTE, off);
            case U8 -> Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, off));
            case I16 -> data.get(I16, off);
            case U16 -> Short.toUnsignedInt(data.get(I16, off));
            case I32 -> data.get(I32, off);
            case U32 -> Integer.toUnsignedLong(data.get(I32, off));
            case I64, U64 -> data.get(I64, off);
            case BOOL -> data.get(ValueLayout.JAVA_BYTE, off) != 0 ? 1 : 0;
            case U4 -> SubByte.uint4(data, i);
            case I4 -> SubByte.int4(data, i);
            case U2 -> SubByte.uint2(data, i);
            case I2 -> SubByte.int2(data, i);
            case F32, F16, BF16, F64, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1 ->
                throw new IllegalStateException("getLong on a " + type.shortName() + " tensor; use getFloat");
            case STRING -> throw new IllegalStateException("getLong on a string tensor; use strings()");
        };
    }

    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(elementCount())];
        if (type == ElemType.F32) {
            MemorySegment.copy(data, F32, 0, out, 0, out.length);
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = getFloat(i);
            }
        }
        return out;
    }

    public long[] toLongArray() {
        long[] out = new long[Math.toIntExact(elementCount())];
        if (type == ElemType.I64) {
            MemorySegment.copy(data, I64, 0, out, 0, out.length);
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = getLong(i);
            }
        }
        return out;
    }

    /** The shape as {@code [2,3,4]}; a scalar prints {@code []}. */
    public String shapeString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ",").append(shape[i]);
        }
        return sb.append(']').toString();
    }

    @Override
    public String toString() {
        return "Tensor[" + type.shortName() + shapeString() + "]";
    }

    /** Element count of a shape; negative dimensions are refused. */
    public static long countOf(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void checkCount(Tensor t, int given) {
        if (given != t.elementCount()) {
            throw new IllegalArgumentException(
                    "shape " + t.shapeString() + " holds " + t.elementCount() + " elements, got " + given);
        }
    }

    private static float unsignedToFloat(long v) {
        return v >= 0 ? v : ((v >>> 1) | (v & 1)) * 2f;
    }
}
