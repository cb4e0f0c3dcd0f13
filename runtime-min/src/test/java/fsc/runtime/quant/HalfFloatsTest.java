package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** {@link HalfFloats#at} reads each f16 of memory (negative shorts included) as {@code Float.float16ToFloat}. */
class HalfFloatsTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void everyHalfReadsAsFloat16ToFloat() {
        long base = 3; // unaligned, as Q4_0's 18-byte blocks leave every other scale
        MemorySegment s = Arena.ofAuto().allocate(base + 2L * 65_536);
        for (int h = 0; h < 65_536; h++) {
            s.set(I16, base + 2L * h, (short) h);
        }
        for (int h = 0; h < 65_536; h++) {
            int want = Float.floatToRawIntBits(Float.float16ToFloat((short) h));
            int got = Float.floatToRawIntBits(HalfFloats.at(s, base + 2L * h));
            if (want != got) {
                assertEquals(want, got, "half 0x" + Integer.toHexString(h));
            }
        }
    }
}
