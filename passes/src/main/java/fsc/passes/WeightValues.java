package fsc.passes;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Reading elements of small weights and writing small integer contents back as weights. */
final class WeightValues {
    private WeightValues() {}

    /**
     * Whether every element of {@code w} equals {@code v} numerically ({@code -0.0} equals {@code
     * 0.0}). False for packed quantized types, which this does not decode.
     */
    static boolean allEqual(WeightData w, double v) {
        if (w.dtype().isQuantizedBlock()) {
            return false;
        }
        ByteBuffer b = w.view();
        long n = w.elementCount();
        for (int i = 0; i < n; i++) {
            if (element(b, w.dtype(), i) != v) {
                return false;
            }
        }
        return true;
    }

    /**
     * The largest |element| of an f32 weight whose every element is a finite integer, or -1 when one
     * is not (or the weight is not f32).
     */
    static double integralMaxAbs(WeightData w) {
        if (w.dtype() != DType.F32) {
            return -1;
        }
        ByteBuffer b = w.view();
        long n = w.elementCount();
        double most = 0;
        for (int i = 0; i < n; i++) {
            float v = b.getFloat(i * 4);
            if (!Float.isFinite(v) || Math.rint(v) != v) {
                return -1;
            }
            most = Math.max(most, Math.abs(v));
        }
        return most;
    }

    /** Element {@code i} (row-major) of a plain, not block-quantized, weight as a double. */
    static double element(WeightData w, int i) {
        return element(w.view(), w.dtype(), i);
    }

    /** Element {@code i} of a plain (not block-quantized) tensor as a double. */
    private static double element(ByteBuffer b, DType t, int i) {
        return switch (t) {
            case F32 -> b.getFloat(i * 4);
            case F64 -> b.getDouble(i * 8);
            case F16 -> Float.float16ToFloat(b.getShort(i * 2));
            case BF16 -> Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
            case I8 -> b.get(i);
            case U8, BOOL -> b.get(i) & 0xff;
            case I16 -> b.getShort(i * 2);
            case U16 -> b.getShort(i * 2) & 0xffff;
            case I32 -> b.getInt(i * 4);
            case U32 -> b.getInt(i * 4) & 0xffffffffL;
            case I64 -> b.getLong(i * 8);
            case U64 -> unsignedToDouble(b.getLong(i * 8));
            case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0 -> fsc.ir.Float8Values.decode(t, b.get(i));
            case U4 -> nibble(b, i);
            case I4 -> (nibble(b, i) << 28) >> 28;
            case F4E2M1 -> fsc.ir.Float8Values.decodeF4e2m1(nibble(b, i));
            case U2 -> (b.get(i / 4) >> ((i & 3) * 2)) & 0x3;
            case I2 -> (((b.get(i / 4) >> ((i & 3) * 2)) & 0x3) << 30) >> 30;
            case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K ->
                throw new IllegalStateException(t.irName() + " elements are packed in blocks");
            case STRING -> throw new IllegalStateException("string elements are not numbers");
        };
    }

    /** Element {@code i} of a 4-bit tensor: two a byte, the first in the low nibble. */
    private static int nibble(ByteBuffer b, int i) {
        return (b.get(i / 2) >> ((i & 1) * 4)) & 0xF;
    }

    /** Nearest double to an unsigned 64-bit value: halve (keeping the low bit for rounding), convert, double. */
    private static double unsignedToDouble(long x) {
        return x >= 0 ? x : ((x >>> 1) | (x & 1)) * 2.0;
    }

    /**
     * Fixed integer contents as a weight of {@code dtype} (i64, i32 or bool) and shape {@code dims};
     * {@code contents} must all be fixed.
     */
    static WeightData ofContents(DType dtype, List<Long> dims, List<Dim> contents) {
        int size =
                switch (dtype) {
                    case I64 -> 8;
                    case I32 -> 4;
                    case BOOL -> 1;
                    default -> throw new IllegalStateException("cannot store contents as " + dtype.irName());
                };
        ByteBuffer b = ByteBuffer.allocate(contents.size() * size).order(ByteOrder.LITTLE_ENDIAN);
        for (Dim d : contents) {
            long v = d.value();
            switch (dtype) {
                case I64 -> b.putLong(v);
                case I32 -> b.putInt(Math.toIntExact(v));
                default -> b.put((byte) (v != 0 ? 1 : 0));
            }
        }
        return new WeightData(dtype, dims, b.flip());
    }

    /** Whether every entry of {@code contents} is a plain number. */
    static boolean allFixed(List<Dim> contents) {
        return contents.stream().allMatch(Dim::isFixed);
    }
}
