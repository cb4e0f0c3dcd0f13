package fsc.runtime.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Every f16 value as its float, a 256 KB table the decode matvecs read block scales through. A
 * Q4_0/Q8_0 block's scale converted in the block loop ({@code Float.float16ToFloat}: a move to a
 * vector register, {@code vcvtph2ps}, a register broadcast) cost ~3 of the ~12 vector uops of a
 * Q4_0 block, on the two ports the unpacking and FMAs use; looked up, the scale is one scalar load
 * and a broadcast from memory, both on the load ports (1.13-1.15x the kernel's GB/s,
 * docs/PERFORMANCE-LLM.md). A row's scales span a few exponents, so the lines they touch stay
 * cached. The entries are {@code Float.float16ToFloat}'s own results, so no kernel's bits change.
 */
final class HalfFloats {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** {@code TABLE[h & 0xffff] == Float.float16ToFloat((short) h)}. */
    static final float[] TABLE = table();

    private HalfFloats() {}

    private static float[] table() {
        float[] t = new float[1 << 16];
        for (int h = 0; h < t.length; h++) {
            t[h] = Float.float16ToFloat((short) h);
        }
        return t;
    }

    /** The f16 at byte {@code at} of {@code s}, as a float. */
    static float at(MemorySegment s, long at) {
        return TABLE[s.get(I16, at) & 0xffff];
    }
}
