package fsc.runtime.kernels;

import fsc.runtime.ElemType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads one element of any whole-byte numeric type as a double, for kernels that compare or test
 * values of whatever type their operand has (NonZero, Unique) rather than compute with them.
 */
final class Elements {
    private Elements() {}

    static double get(MemorySegment s, ElemType t, long i) {
        return switch (t) {
            case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            case F64 -> s.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
            case F16 -> Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
            case BF16 -> Float.intBitsToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) << 16);
            case I64 -> s.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
            case U64 -> unsignedToDouble(s.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i));
            case I32 -> s.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
            case U32 -> Integer.toUnsignedLong(s.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i));
            case I16 -> s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i);
            case U16 -> Short.toUnsignedInt(s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i));
            case I8 -> s.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, i));
            default -> throw new IllegalArgumentException("no element reader for " + t);
        };
    }

    /** Whether integers of {@code t} must be compared as longs (doubles lose precision past 2^53). */
    static boolean isWideInteger(ElemType t) {
        return t == ElemType.I64 || t == ElemType.U64;
    }

    static long getLong(MemorySegment s, long i) {
        return s.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
    }

    private static double unsignedToDouble(long v) {
        double d = (double) (v >>> 1) * 2.0;
        return d + (v & 1);
    }
}
