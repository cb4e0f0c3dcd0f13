package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The 8-bit float codecs against their definitions: the largest values and NaN codes the ONNX
 * spec lists, exact round trips of every code, and encoding checked against a brute-force search
 * over all 256 decoded values (nearest, ties to the even code).
 */
class Float8Test {
    @Test
    void largestValuesAndSpecialCodesAreTheSpecs() {
        assertEquals(448f, Float8.E4M3FN.max());
        assertEquals(240f, Float8.E4M3FNUZ.max());
        assertEquals(57344f, Float8.E5M2.max());
        assertEquals(57344f, Float8.E5M2FNUZ.max());
        assertTrue(Float.isNaN(Float8.E4M3FN.decode((byte) 0x7F)));
        assertTrue(Float.isNaN(Float8.E4M3FN.decode((byte) 0xFF)));
        assertTrue(Float.isNaN(Float8.E4M3FNUZ.decode((byte) 0x80)));
        assertTrue(Float.isNaN(Float8.E5M2FNUZ.decode((byte) 0x80)));
        assertEquals(Float.POSITIVE_INFINITY, Float8.E5M2.decode((byte) 0x7C));
        assertEquals(Float.NEGATIVE_INFINITY, Float8.E5M2.decode((byte) 0xFC));
        // Smallest subnormals: 2^-9 (E4M3FN), 2^-10 (E4M3FNUZ), 2^-16 (E5M2), 2^-17 (E5M2FNUZ).
        assertEquals(0x1p-9f, Float8.E4M3FN.decode((byte) 1));
        assertEquals(0x1p-10f, Float8.E4M3FNUZ.decode((byte) 1));
        assertEquals(0x1p-16f, Float8.E5M2.decode((byte) 1));
        assertEquals(0x1p-17f, Float8.E5M2FNUZ.decode((byte) 1));
        assertEquals(1f, Float8.E4M3FN.decode((byte) 0x38));
        assertEquals(1f, Float8.E5M2.decode((byte) 0x3C));
    }

    @Test
    void everyCodeRoundTrips() {
        for (Float8 f : Float8.values()) {
            for (int code = 0; code < 256; code++) {
                float v = f.decode((byte) code);
                if (Float.isNaN(v)) {
                    assertTrue(Float.isNaN(f.decode(f.encode(v, true))), f + " NaN code " + code);
                } else {
                    assertEquals((byte) code, f.encode(v, false), f + " code " + code);
                }
            }
        }
    }

    @Test
    void encodingRoundsToTheNearestCodeTiesToEven() {
        Random r = new Random(7);
        for (Float8 f : Float8.values()) {
            for (int k = 0; k < 20_000; k++) {
                // Magnitudes spread over the whole range (subnormals to beyond the largest), both signs.
                float x = (float) (Math.scalb(r.nextDouble(), r.nextInt(40) - 22) * (r.nextBoolean() ? 1 : -1));
                if (Math.abs(x) > f.max()) {
                    continue;
                }
                assertEquals(bruteForce(f, x), f.encode(x, true), f + " " + x);
            }
            // Exact midpoints between neighbouring codes go to the even one.
            for (int code = 0; code < 0x7F; code++) {
                float lo = f.decode((byte) code);
                float hi = f.decode((byte) (code + 1));
                if (Float.isNaN(hi) || Float.isInfinite(hi)) {
                    continue;
                }
                float mid = (lo + hi) / 2;
                int even = code % 2 == 0 ? code : code + 1;
                assertEquals((byte) even, f.encode(mid, true), f + " midpoint of " + code);
            }
        }
    }

    @Test
    void overflowFollowsTheSaturateTable() {
        for (Float8 f : Float8.values()) {
            byte max = f.encode(f.max(), true);
            byte negMax = f.encode(-f.max(), true);
            assertEquals(max, f.encode(1e9f, true));
            assertEquals(max, f.encode(Float.POSITIVE_INFINITY, true));
            assertEquals(negMax, f.encode(Float.NEGATIVE_INFINITY, true));
            float over = f.decode(f.encode(1e9f, false));
            float negInf = f.decode(f.encode(Float.NEGATIVE_INFINITY, false));
            if (f == Float8.E5M2) {
                assertEquals(Float.POSITIVE_INFINITY, over);
                assertEquals(Float.NEGATIVE_INFINITY, negInf);
            } else {
                assertTrue(Float.isNaN(over), f.toString());
                assertTrue(Float.isNaN(negInf), f.toString());
            }
        }
        // FNUZ formats have no negative zero.
        assertEquals(0, Float8.E4M3FNUZ.encode(-0f, true));
        assertEquals((byte) 0x80, Float8.E4M3FN.encode(-0f, true));
    }

    /** The code whose value is nearest {@code x}, preferring the even code on a tie. */
    private static byte bruteForce(Float8 f, float x) {
        int best = -1;
        double bestDist = Double.POSITIVE_INFINITY;
        for (int code = 0; code < 256; code++) {
            float v = f.decode((byte) code);
            if (Float.isNaN(v) || Float.isInfinite(v) || (v == 0 && code != 0)) {
                continue; // one zero per sign is enough; a negative zero is handled by the sign below
            }
            double d = Math.abs((double) v - x);
            if (d < bestDist || (d == bestDist && code % 2 == 0)) {
                best = code;
                bestDist = d;
            }
        }
        if (best == 0 && x < 0 && f.decode((byte) 0x80) == 0) {
            return (byte) 0x80; // negative values that round to zero keep their sign where -0 exists
        }
        return (byte) best;
    }
}
