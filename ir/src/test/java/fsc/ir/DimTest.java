package fsc.ir;

import static fsc.ir.TestTypes.dim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link Dim} as a sum of monomials: canonical form, arithmetic, bounds and printing. */
class DimTest {
    private static final Dim P = Dim.sym("P");
    private static final Dim S = Dim.sym("S");

    @Test
    void canonicalFormMergesSortsAndDropsZeros() {
        Dim a = S.plus(P).plus(Dim.of(1));
        Dim b = Dim.of(1).plus(P).plus(S);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals("P+S+1", a.toString());
        // Equal terms merge, opposite ones cancel to the plain fixed dim.
        assertEquals(Dim.of(2).times(P), P.plus(P));
        assertEquals(Dim.of(0), P.plus(S).minus(S).minus(P));
        assertTrue(P.minus(P).isFixed());
        assertEquals(S, P.plus(S).minus(P));
        // A monomial is still the record it always was.
        assertEquals(new Dim(12, List.of("S", "B")), dim("12*B*S"));
        assertEquals(List.of("B", "S"), dim("12*B*S").symbols());
        assertEquals(12, dim("12*B*S").coeff());
    }

    @Test
    void printsConstantLastAndNegativeTermsWithMinus() {
        assertEquals("2*N-1", Dim.of(2).times(Dim.sym("N")).minus(Dim.of(1)).toString());
        assertEquals("-S+1", Dim.of(1).minus(S).toString());
        // Degree first, then names: P and S before B*S.
        assertEquals("P+B*S", P.plus(Dim.sym("B").times(S)).toString());
        assertEquals("-1", Dim.of(-1).toString());
        assertEquals("0", Dim.of(0).toString());
    }

    @Test
    void sumsHaveNoSingleCoefficient() {
        assertThrows(IllegalStateException.class, () -> P.plus(S).coeff());
        assertEquals(List.of("P", "S"), P.plus(S).plus(P).symbols());
        assertEquals(Optional.of("S"), S.asSymbol());
        assertEquals(Optional.empty(), P.plus(S).asSymbol());
        assertEquals(Optional.empty(), Dim.of(2).times(S).asSymbol());
        assertEquals(-1, P.plus(S).minus(Dim.of(1)).constant());
    }

    @Test
    void productsDistributeAndDivideBack() {
        Dim b = Dim.sym("B");
        Dim bps = b.times(P.plus(S));
        assertEquals(dim("B*P+B*S"), bps);
        assertEquals(Optional.of(b), bps.dividedBy(P.plus(S)));
        assertEquals(Optional.of(P.plus(S)), bps.dividedBy(b));
        Dim flat = Dim.product(List.of(b, P.plus(S), Dim.of(4)));
        assertEquals(Optional.of(b.times(P.plus(S))), flat.dividedBy(Dim.of(4)));
        assertEquals(Optional.empty(), P.plus(S).dividedBy(Dim.of(2)));
        assertEquals(Optional.empty(), P.plus(Dim.of(1)).dividedBy(P.plus(S)));
        assertEquals(Optional.of(Dim.of(2)), dim("2*P+2*S").dividedBy(P.plus(S)));
    }

    @Test
    void signsHoldForEverySizeOfAtLeastOne() {
        assertTrue(S.minus(Dim.of(1)).isNonNegative());
        assertFalse(S.minus(Dim.of(2)).isNonNegative());
        assertFalse(Dim.of(1).minus(S).isNonNegative());
        assertTrue(Dim.of(0).minus(S).isNegative());
        assertFalse(Dim.of(1).minus(S).isNegative());
        assertTrue(Dim.of(1).minus(dim("2*S")).isNegative());
        assertFalse(P.minus(S).isNonNegative());
        assertFalse(P.minus(S).isNegative());
    }

    @Test
    void evaluationAndUpperBounds() {
        Map<String, Long> bounds = Map.of("P", 512L, "S", 64L);
        assertEquals(575, P.plus(S).minus(Dim.of(1)).upperBound(bounds));
        // A negative term is at its least (1), so P-S is at most 511.
        assertEquals(511, P.minus(S).upperBound(bounds));
        assertEquals(9, P.plus(S).plus(Dim.of(2)).evaluate(Map.of("P", 3L, "S", 4L)));
        assertThrows(IllegalArgumentException.class, () -> P.plus(S).evaluate(Map.of("P", 3L)));
    }

    @Test
    void tensorTypesRejectOnlyProvablyNegativeDims() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new TensorType(DType.F32, List.of(Dim.of(0).minus(S))));
        assertEquals("f32[S-1]", new TensorType(DType.F32, List.of(S.minus(Dim.of(1)))).toString());
        assertNotEquals(new TensorType(DType.F32, List.of(P.plus(S))), new TensorType(DType.F32, List.of(P.plus(P))));
    }
}
