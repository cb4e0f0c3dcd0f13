package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import org.junit.jupiter.api.Test;

class SmallFloatsTest {
    @Test
    void bf16RoundsToNearestEven() {
        // 1 + 2^-8 is halfway between bf16 1.0 and 1.0078125: ties to the even mantissa (1.0).
        assertEquals(1.0f, SmallFloats.bf16ToFloat(SmallFloats.floatToBf16(1f + 0x1p-8f)));
        // 1 + 3 * 2^-8 is halfway between 1.0078125 (odd) and 1.015625 (even).
        assertEquals(1.015625f, SmallFloats.bf16ToFloat(SmallFloats.floatToBf16(1f + 3 * 0x1p-8f)));
        // Just above the halfway point rounds up.
        assertEquals(1.0078125f, SmallFloats.bf16ToFloat(SmallFloats.floatToBf16(1f + 0x1p-8f + 0x1p-20f)));
        assertEquals(-2.5f, SmallFloats.bf16ToFloat(SmallFloats.floatToBf16(-2.5f)));
        // The largest finite float rounds up to infinity, as in IEEE.
        assertEquals(Float.POSITIVE_INFINITY, SmallFloats.bf16ToFloat(SmallFloats.floatToBf16(Float.MAX_VALUE)));
        assertTrue(Float.isNaN(SmallFloats.bf16ToFloat(SmallFloats.floatToBf16(Float.intBitsToFloat(0x7F800001)))));
    }

    @Test
    void everyBf16RoundTrips() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = SmallFloats.bf16ToFloat((short) bits);
            if (!Float.isNaN(f)) {
                assertEquals((short) bits, SmallFloats.floatToBf16(f), "bf16 bits " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void unsignedLongsConvertToTheNearestDouble() {
        long[] values = {0, 1, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, 0x8000_0000_0000_0401L, 0xFFFF_FFFF_FFFF_F7FFL};
        for (long v : values) {
            double exact = new BigDecimal(new BigInteger(Long.toUnsignedString(v)))
                    .round(MathContext.DECIMAL128)
                    .doubleValue();
            assertEquals(exact, SmallFloats.unsignedToDouble(v), Long.toUnsignedString(v));
        }
    }

    @Test
    void e8m0IsAPowerOfTwoRoundedUpOrDown() {
        assertEquals(1f, SmallFloats.f8e8m0ToFloat((byte) 127));
        assertEquals(0x1p-127f, SmallFloats.f8e8m0ToFloat((byte) 0));
        assertEquals(0x1p127f, SmallFloats.f8e8m0ToFloat((byte) 0xFE));
        assertTrue(Float.isNaN(SmallFloats.f8e8m0ToFloat((byte) 0xFF)));
        // ONNX's reference data: 0.124 -> 2^-3 and 1.1 -> 2 rounding up; powers of two are exact.
        assertEquals((byte) 0x7C, SmallFloats.floatToF8e8m0(0.124f, true, true));
        assertEquals((byte) 0x80, SmallFloats.floatToF8e8m0(1.1f, true, true));
        assertEquals((byte) 0x7F, SmallFloats.floatToF8e8m0(1.1f, true, false));
        assertEquals((byte) 0x81, SmallFloats.floatToF8e8m0(4f, true, true));
        assertEquals((byte) 0x81, SmallFloats.floatToF8e8m0(-4f, true, true)); // no sign bit
        assertEquals((byte) 0, SmallFloats.floatToF8e8m0(0f, true, true));
        assertEquals((byte) 0xFE, SmallFloats.floatToF8e8m0(Float.MAX_VALUE, true, true));
        assertEquals((byte) 0xFF, SmallFloats.floatToF8e8m0(Float.MAX_VALUE, false, true));
        assertEquals((byte) 0xFE, SmallFloats.floatToF8e8m0(Float.POSITIVE_INFINITY, true, true));
        assertEquals((byte) 0xFF, SmallFloats.floatToF8e8m0(Float.NaN, true, true));
        for (int code = 0; code < 0xFF; code++) {
            float v = SmallFloats.f8e8m0ToFloat((byte) code);
            assertEquals((byte) code, SmallFloats.floatToF8e8m0(v, true, true), "code " + code);
            assertEquals((byte) code, SmallFloats.floatToF8e8m0(v, true, false), "code " + code);
        }
    }
}
