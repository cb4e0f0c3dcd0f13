package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class SubByteTest {
    @Test
    void firstElementOfAPairIsTheLowNibble() {
        MemorySegment s = Arena.ofAuto().allocate(2);
        s.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x87);
        s.set(ValueLayout.JAVA_BYTE, 1, (byte) 0x0F);
        assertEquals(7, SubByte.int4(s, 0));
        assertEquals(-8, SubByte.int4(s, 1));
        assertEquals(8, SubByte.uint4(s, 1));
        assertEquals(-1, SubByte.int4(s, 2));
        assertEquals(0, SubByte.uint4(s, 3));
        assertEquals(6f, SubByte.f4e2m1(s, 0));
        assertEquals(-0f, SubByte.f4e2m1(s, 1));
        assertEquals(-6f, SubByte.f4e2m1(s, 2));
    }

    @Test
    void setKeepsTheOtherHalfAndWraps() {
        MemorySegment s = Arena.ofAuto().allocate(2);
        for (int i = 0; i < 4; i++) {
            SubByte.set(s, i, i - 9); // -9 wraps to 7, -8 stays -8, ...
        }
        assertEquals(7, SubByte.int4(s, 0));
        assertEquals(-8, SubByte.int4(s, 1));
        assertEquals(-7, SubByte.int4(s, 2));
        assertEquals(-6, SubByte.int4(s, 3));
        SubByte.set(s, 1, 3);
        assertEquals(7, SubByte.int4(s, 0));
        assertEquals(3, SubByte.int4(s, 1));
    }

    @Test
    void e2m1RoundsToNearestEvenAndSaturates() {
        // Codes 0..7 are 0, 0.5, 1, 1.5, 2, 3, 4, 6; the sign is bit 3.
        assertEquals(0, SubByte.toF4e2m1(0.25f)); // tie between 0 (even) and 0.5
        assertEquals(2, SubByte.toF4e2m1(0.75f)); // tie between 0.5 and 1 (even code 2)
        assertEquals(1, SubByte.toF4e2m1(0.48f));
        assertEquals(6 | 8, SubByte.toF4e2m1(-3.5f)); // tie between 3 and 4 (even code 6)
        assertEquals(6, SubByte.toF4e2m1(5f)); // tie between 4 (even code 6) and 6
        assertEquals(7, SubByte.toF4e2m1(5.5f));
        assertEquals(7, SubByte.toF4e2m1(1e6f));
        assertEquals(7, SubByte.toF4e2m1(Float.POSITIVE_INFINITY));
        assertEquals(15, SubByte.toF4e2m1(Float.NEGATIVE_INFINITY));
        assertEquals(8, SubByte.toF4e2m1(-0f));
        assertEquals(SubByte.E2M1_NAN, SubByte.toF4e2m1(Float.NaN));
        MemorySegment s = Arena.ofAuto().allocate(1);
        for (int code = 0; code < 16; code++) {
            SubByte.set(s, 0, code);
            if (code != 8) {
                assertEquals(code, SubByte.toF4e2m1(SubByte.f4e2m1(s, 0)), "code " + code);
            }
        }
    }

    @Test
    void twoBitElementsAreFourAByteLowBitsFirst() {
        MemorySegment s = Arena.ofAuto().allocate(2);
        // ONNX's reference packs int2 [-3, -2, -1, 0, 1, 2, 3] (wrapping) as 0x39 0x39.
        for (int i = 0; i < 7; i++) {
            SubByte.set2(s, i, i - 3);
        }
        assertEquals((byte) 0x39, s.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals((byte) 0x39, s.get(ValueLayout.JAVA_BYTE, 1));
        assertEquals(1, SubByte.int2(s, 0));
        assertEquals(-2, SubByte.int2(s, 1));
        assertEquals(-1, SubByte.int2(s, 2));
        assertEquals(3, SubByte.uint2(s, 2));
        assertEquals(0, SubByte.uint2(s, 7));
    }
}
