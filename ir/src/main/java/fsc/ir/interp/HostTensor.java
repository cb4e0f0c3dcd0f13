package fsc.ir.interp;

import fsc.ir.DType;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A tensor on the Java heap for the reference interpreter and tests: element type, shape and
 * little-endian row-major bytes. Elements are read and written as {@code double} or {@code long};
 * writes round to the element type the way a cast does ({@code (float)} for f32, round-to-nearest-even
 * for f16/bf16, truncation toward zero for integers, non-zero for bool). Packed quantized types are
 * not supported. String tensors hold a {@code String[]} instead of bytes ({@link #ofStrings}).
 */
public final class HostTensor {
    private final DType dtype;
    private final long[] shape;
    private final ByteBuffer data;
    /** The elements of a string tensor; null for every other type. */
    private final String[] strings;

    private HostTensor(long[] shape, String[] strings) {
        this.dtype = DType.STRING;
        this.shape = shape.clone();
        this.data = ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        this.strings = strings.clone();
        this.held = null;
        if (strings.length != count(shape)) {
            throw new IllegalArgumentException(
                    "string" + Arrays.toString(shape) + " holds " + count(shape) + " strings, got " + strings.length);
        }
    }

    /** A string tensor. */
    public static HostTensor ofStrings(long[] shape, String... values) {
        return new HostTensor(shape, values);
    }

    /** A sequence's or optional's contents (see {@link fsc.ir.Container}); null for a tensor. */
    private final HostContainer held;

    /**
     * A sequence or optional value of element type {@code dtype}: {@code shape} is its IR type's dims
     * ({@code []} for a sequence, the tensor's for an optional tensor), and it has no bytes of its own.
     */
    public static HostTensor container(DType dtype, long[] shape, HostContainer held) {
        return new HostTensor(dtype, shape, held);
    }

    private HostTensor(DType dtype, long[] shape, HostContainer held) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        this.held = java.util.Objects.requireNonNull(held, "held");
        this.strings = null;
    }

    /** What a sequence or optional value holds; null for a tensor. */
    public HostContainer held() {
        return held;
    }

    public HostTensor(DType dtype, long[] shape, ByteBuffer data) {
        if (dtype.isString()) {
            throw new IllegalArgumentException("string tensors are built with ofStrings or fromWeight");
        }
        this.strings = null;
        if (dtype.isQuantizedBlock()) {
            throw new IllegalArgumentException("host tensors do not hold packed " + dtype.irName() + " data");
        }
        this.dtype = dtype;
        this.held = null;
        this.shape = shape.clone();
        // slice(): index 0 is the caller's position, so wrapped sub-arrays and views work as given.
        this.data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
        long expected = dtype.bytesFor(count(shape));
        if (this.data.capacity() != expected) {
            throw new IllegalArgumentException(dtype.irName() + Arrays.toString(shape) + " needs " + expected
                    + " bytes, got " + this.data.capacity());
        }
    }

    /** Zeros; for strings, empty strings. */
    public static HostTensor zeros(DType dtype, long[] shape) {
        if (dtype.isString()) {
            String[] empty = new String[Math.toIntExact(count(shape))];
            Arrays.fill(empty, "");
            return new HostTensor(shape, empty);
        }
        long bytes = dtype.bytesFor(count(shape));
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor of " + bytes + " bytes is too large for the interpreter");
        }
        return new HostTensor(dtype, shape, ByteBuffer.allocate((int) bytes));
    }

    /** Floats uniform in [-1, 1); integers in [0, 4); bools fair coin flips. */
    public static HostTensor random(DType dtype, long[] shape, Random random) {
        HostTensor t = zeros(dtype, shape);
        for (int i = 0; i < t.size(); i++) {
            if (dtype.isFloat()) {
                t.setDouble(i, random.nextDouble() * 2 - 1);
            } else if (dtype == DType.BOOL) {
                t.setLong(i, random.nextBoolean() ? 1 : 0);
            } else {
                t.setLong(i, random.nextInt(4));
            }
        }
        return t;
    }

    public static HostTensor ofFloats(long[] shape, float... values) {
        HostTensor t = zeros(DType.F32, shape);
        checkCount(t, values.length);
        for (int i = 0; i < values.length; i++) {
            t.setDouble(i, values[i]);
        }
        return t;
    }

    public static HostTensor ofLongs(long[] shape, long... values) {
        return ofInts(DType.I64, shape, values);
    }

    /** An integer or bool tensor of type {@code dtype} from {@code values}. */
    public static HostTensor ofInts(DType dtype, long[] shape, long... values) {
        HostTensor t = zeros(dtype, shape);
        checkCount(t, values.length);
        for (int i = 0; i < values.length; i++) {
            t.setLong(i, values[i]);
        }
        return t;
    }

    /** A copy of a weight's data (plain element types only). */
    public static HostTensor fromWeight(WeightData w) {
        long[] shape = w.dims().stream().mapToLong(Long::longValue).toArray();
        if (w.dtype().isString()) {
            return new HostTensor(shape, fsc.ir.StringData.decode(w.view()).toArray(String[]::new));
        }
        ByteBuffer copy = ByteBuffer.allocate(w.view().remaining());
        copy.put(w.view()).flip();
        return new HostTensor(w.dtype(), shape, copy);
    }

    /** A copy of this tensor as weight data, e.g. for a folded constant (later writes do not reach it). */
    public WeightData toWeight() {
        if (strings != null) {
            return new WeightData(
                    dtype, Arrays.stream(shape).boxed().toList(), fsc.ir.StringData.encode(List.of(strings)));
        }
        ByteBuffer copy = ByteBuffer.allocate(data.capacity());
        copy.put(data.duplicate().clear()).flip();
        return new WeightData(dtype, Arrays.stream(shape).boxed().toList(), copy);
    }

    private static void checkCount(HostTensor t, int n) {
        if (n != t.size()) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(t.shape) + " holds " + t.size() + " elements, got " + n);
        }
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** A little-endian view of the bytes (shared, not copied). */
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The backing buffer itself, for kernels in this package that copy raw elements. */
    ByteBuffer dataView() {
        return data;
    }

    /** Element {@code i} of a string tensor. */
    public String getString(long index) {
        if (strings == null) {
            throw new IllegalStateException("getString on a " + dtype.irName() + " tensor");
        }
        return strings[Math.toIntExact(index)];
    }

    /** A copy of a string tensor's elements. */
    public String[] toStringArray() {
        if (strings == null) {
            throw new IllegalStateException("toStringArray on a " + dtype.irName() + " tensor");
        }
        return strings.clone();
    }

    public int size() {
        return (int) count(shape);
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public double getDouble(long index) {
        int i = Math.toIntExact(index);
        return switch (dtype) {
            case F32 -> data.getFloat(i * 4);
            case F16 -> Float.float16ToFloat(data.getShort(i * 2));
            case BF16 -> Float.intBitsToFloat((data.getShort(i * 2) & 0xffff) << 16);
            case F64 -> data.getDouble(i * 8);
            case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0 -> fsc.ir.Float8Values.decode(dtype, data.get(i));
            case F4E2M1 -> fsc.ir.Float8Values.decodeF4e2m1(nibble(i));
            case U64 -> {
                long v = data.getLong(i * 8);
                yield v >= 0 ? v : (v >>> 1) * 2.0 + (v & 1);
            }
            default -> getLong(index);
        };
    }

    public long getLong(long index) {
        int i = Math.toIntExact(index);
        return switch (dtype) {
            case F32, F16, BF16, F64, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1 ->
                (long) getDouble(index);
            case U4 -> nibble(i);
            case I4 -> (nibble(i) << 28) >> 28;
            case U2 -> crumb(i);
            case I2 -> (crumb(i) << 30) >> 30;
            case I8 -> data.get(i);
            case U8 -> data.get(i) & 0xff;
            case I16 -> data.getShort(i * 2);
            case U16 -> data.getShort(i * 2) & 0xffff;
            case I32 -> data.getInt(i * 4);
            case U32 -> data.getInt(i * 4) & 0xffffffffL;
            case I64, U64 -> data.getLong(i * 8);
            case BOOL -> data.get(i) != 0 ? 1 : 0;
            case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K -> throw new IllegalStateException("packed " + dtype);
            case STRING -> throw new IllegalStateException("getLong on a string tensor; use getString");
        };
    }

    public void setDouble(long index, double v) {
        int i = Math.toIntExact(index);
        switch (dtype) {
            case F32 -> data.putFloat(i * 4, (float) v);
            case F16 -> data.putShort(i * 2, Float.floatToFloat16((float) v));
            case BF16 -> data.putShort(i * 2, toBf16((float) v));
            case F64 -> data.putDouble(i * 8, v);
            case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1 ->
                throw new IllegalStateException("the interpreter does not round to " + dtype.irName()
                        + " (the Java backend's cast does, see fsc.runtime.kernels.Float8)");
            case BOOL -> data.put(i, (byte) (v != 0 ? 1 : 0));
            default -> setLong(index, (long) v);
        }
    }

    public void setLong(long index, long v) {
        int i = Math.toIntExact(index);
        switch (dtype) {
            case F32, F16, BF16, F64, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1 -> setDouble(index, v);
            case I4, U4 -> {
                // ONNX packs the first of each pair in the low nibble; casts to 4-bit integers wrap.
                int shift = (i & 1) * 4;
                int b = data.get(i / 2) & ~(0xF << shift);
                data.put(i / 2, (byte) (b | (((int) v & 0xF) << shift)));
            }
            case I2, U2 -> {
                int shift = (i & 3) * 2;
                int b = data.get(i / 4) & ~(0x3 << shift);
                data.put(i / 4, (byte) (b | (((int) v & 0x3) << shift)));
            }
            case I8, U8 -> data.put(i, (byte) v);
            case I16, U16 -> data.putShort(i * 2, (short) v);
            case I32, U32 -> data.putInt(i * 4, (int) v);
            case I64, U64 -> data.putLong(i * 8, v);
            case BOOL -> data.put(i, (byte) (v != 0 ? 1 : 0));
            case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K -> throw new IllegalStateException("packed " + dtype);
            case STRING -> throw new IllegalStateException("setLong on a string tensor");
        }
    }

    /** The 4 bits of element {@code i} of a 4-bit tensor (unsigned). */
    private int nibble(int i) {
        return (data.get(i / 2) >> ((i & 1) * 4)) & 0xF;
    }

    /** The 2 bits of element {@code i} of a 2-bit tensor (unsigned): four a byte, low bits first. */
    private int crumb(int i) {
        return (data.get(i / 4) >> ((i & 3) * 2)) & 0x3;
    }

    /** bfloat16 is the top half of a float, rounded to nearest even (NaN kept quiet). */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    public float[] toFloatArray() {
        float[] out = new float[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) getDouble(i);
        }
        return out;
    }

    public long[] toLongArray() {
        long[] out = new long[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = getLong(i);
        }
        return out;
    }

    /**
     * Largest absolute element difference; infinite when the shapes differ or only one side is NaN
     * (NaN against NaN counts as equal, as in the ONNX test rule).
     */
    public double maxAbsDiff(HostTensor other) {
        if (!Arrays.equals(shape, other.shape)) {
            return Double.POSITIVE_INFINITY;
        }
        if (strings != null || other.strings != null) {
            return Arrays.equals(strings, other.strings) ? 0 : Double.POSITIVE_INFINITY;
        }
        double max = 0;
        for (int i = 0; i < size(); i++) {
            double a = getDouble(i);
            double b = other.getDouble(i);
            if (Double.isNaN(a) || Double.isNaN(b)) {
                if (Double.isNaN(a) != Double.isNaN(b)) {
                    return Double.POSITIVE_INFINITY;
                }
            } else if (a != b) {
                max = Math.max(max, Math.abs(a - b));
            }
        }
        return max;
    }

    @Override
    public String toString() {
        StringBuilder b =
                new StringBuilder(dtype.irName()).append(Arrays.toString(shape)).append(' ');
        int n = Math.min(size(), 8);
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            shown.add(
                    strings != null
                            ? '"' + strings[i] + '"'
                            : dtype.isFloat() ? Double.toString(getDouble(i)) : Long.toString(getLong(i)));
        }
        b.append('[').append(String.join(", ", shown)).append(size() > n ? ", ...]" : "]");
        return b.toString();
    }
}
