package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** {@link HalfScales} against {@code Float.float16ToFloat}, bit for bit, for every half. */
class HalfScalesTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void everyHalfConvertsAsFloat16ToFloat() {
        int count = 65_536;
        long stride = 18; // Q4_0's block: the scale, then 16 bytes of other data
        long base = 5; // an odd offset: the loads are unaligned
        MemorySegment w = Arena.ofAuto().allocate(base + stride * count);
        w.fill((byte) 0x5a);
        for (int i = 0; i < count; i++) {
            w.set(I16, base + stride * i, (short) i);
        }
        HalfScales s = HalfScales.scratch(count);
        s.convert(w, base, stride, count);
        for (int i = 0; i < count; i++) {
            int want = Float.floatToRawIntBits(Float.float16ToFloat((short) i));
            int got = Float.floatToRawIntBits(s.values()[i]);
            if (want != got) {
                assertEquals(want, got, "half 0x" + Integer.toHexString(i));
            }
        }
    }

    @Test
    void countsThatAreNotAWholeVectorConvertTheirPrefix() {
        MemorySegment w = Arena.ofAuto().allocate(34L * 23);
        for (int i = 0; i < 23; i++) {
            w.set(I16, 34L * i, Float.floatToFloat16(i * -0.37f + 1e-6f * i));
        }
        for (int count : new int[] {1, 2, 7, 16, 17, 23}) {
            HalfScales s = HalfScales.scratch(count);
            s.convert(w, 0, 34, count);
            for (int i = 0; i < count; i++) {
                assertEquals(
                        Float.float16ToFloat(w.get(I16, 34L * i)), s.values()[i], "count " + count + ", scale " + i);
            }
        }
    }
}
