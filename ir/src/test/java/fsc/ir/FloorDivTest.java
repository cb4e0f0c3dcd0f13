package fsc.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Dim#floorDiv}: the sizes strided windows make of symbolic ones, canonical and evaluated. */
class FloorDivTest {
    private static final Dim H = Dim.sym("H");
    private static final Dim W = Dim.sym("W");

    /** A stride-s window of span k with pads p at both ends: {@code floor((H + 2p - k)/s) + 1}. */
    private static Dim window(Dim in, long k, long p, long s) {
        return in.plus(Dim.of(2 * p - k)).floorDiv(s).plus(Dim.of(1));
    }

    @Test
    void equalFormulasAreEqualDims() {
        // A 3x3 stride-2 conv with pad 1 and a 1x1 stride-2 conv both give ceil(H/2).
        Dim conv3 = window(H, 3, 1, 2);
        Dim conv1 = window(H, 1, 0, 2);
        assertEquals(conv3, conv1);
        assertEquals("floor((H+1)/2)", conv3.toString());
        assertEquals(H.ceilDiv(2), conv3);
        // A 2x2 stride-2 pool is floor(H/2): a different size for odd H.
        assertEquals("floor((H)/2)", window(H, 2, 0, 2).toString());
    }

    @Test
    void exactDivisionsAndWholeMultiplesLeaveTheFloor() {
        assertEquals(
                Dim.of(3).times(H).plus(Dim.of(1)),
                Dim.of(6).times(H).plus(Dim.of(3)).floorDiv(2));
        assertEquals(H, H.floorDiv(1));
        // floor((3H+1)/2) = H + floor((H+1)/2)
        assertEquals(H.plus(H.ceilDiv(2)), Dim.of(3).times(H).plus(Dim.of(1)).floorDiv(2));
        // A common factor of the coefficients and the divisor cancels: floor((2H+1)/4) = floor(H/2).
        assertEquals(H.floorDiv(2), Dim.of(2).times(H).plus(Dim.of(1)).floorDiv(4));
    }

    @Test
    void chainsOfStridesFoldIntoOneAtom() {
        Dim d = H;
        for (int i = 0; i < 5; i++) {
            d = window(d, 3, 1, 2);
        }
        assertEquals("floor((H+31)/32)", d.toString());
        assertEquals(H.ceilDiv(32), d);
        assertFalse(d.isFixed());
        assertTrue(d.hasFloorDiv());
        assertEquals(List.of("H"), d.symbols());
    }

    @Test
    void evaluatesAndBoundsAsTheArithmeticDoes() {
        for (long h = 1; h <= 70; h++) {
            Dim d = H;
            long v = h;
            for (long[] w : new long[][] {{3, 1, 2}, {2, 0, 2}, {5, 2, 3}, {1, 0, 1}}) {
                d = window(d, w[0], w[1], w[2]);
                v = Math.floorDiv(v + 2 * w[1] - w[0], w[2]) + 1;
                if (v < 1) {
                    break;
                }
                assertEquals(v, d.evaluate(Map.of("H", h)), d + " at H=" + h);
            }
        }
        Dim two = H.ceilDiv(2).plus(W.floorDiv(4)).times(Dim.of(3));
        assertEquals(3 * (Math.ceilDiv(37, 2) + 41 / 4), two.evaluate(Map.of("H", 37L, "W", 41L)));
        assertEquals(3 * (256 + 128), two.upperBound(Map.of("H", 512L, "W", 512L)));
        // The least value takes each atom at its symbols' least: floor(1/4) = 0.
        assertTrue(two.isNonNegative());
        assertFalse(W.floorDiv(4).minus(W).isNonNegative());
        assertEquals(0, W.floorDiv(4).upperBound(Map.of("W", 3L)));
    }

    @Test
    void readsBackFromItsText() {
        Dim d = Dim.of(2)
                .times(H.plus(Dim.of(15)).floorDiv(16))
                .plus(W.ceilDiv(8))
                .minus(Dim.of(1));
        assertEquals(d, DimText.parse(d.toString()));
        Dim atom = new Dim(1, List.of(d.terms().getFirst().symbols().getFirst()));
        assertEquals(FloorDiv.parse(atom.toString()).symbol(), atom.toString());
        assertThrows(IllegalArgumentException.class, () -> DimText.parse("floor((H+1)/)"));
    }

    @Test
    void refusesProductsAndBadDivisors() {
        assertThrows(IllegalArgumentException.class, () -> H.times(W).floorDiv(2));
        assertThrows(IllegalArgumentException.class, () -> H.floorDiv(0));
    }
}
