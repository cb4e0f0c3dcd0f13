package fsc.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A floor-division atom of a {@link Dim}: {@code floor(inner / divisor)}, written {@code
 * floor((H+1)/2)} and held in a {@link Dim.Term} as if it were a symbol, so sums, products,
 * equality and the {@code .fsir} text treat it as one. It is what a strided window makes of a
 * symbolic size (a detector's {@code H} after a stride-2 conv is {@code floor((H+1)/2)}); its value
 * follows from the symbols it names, so it is never bound by an input or declared in a graph's
 * symbol table ({@link Dim#symbols()} lists the symbols inside it instead).
 *
 * <p>The canonical form (see {@link Dim#floorDiv}) has every coefficient of {@code inner} in {@code
 * [0, divisor)} and no common factor with the divisor, so the atom grows with its symbols: its
 * least value is at every symbol's least (1) and its bound at every symbol's bound.
 */
public record FloorDiv(Dim inner, long divisor) {
    private static final String OPEN = "floor((";

    /** Whether a term's symbol is a floor-division atom rather than a graph symbol. */
    public static boolean isAtom(String symbol) {
        return symbol.startsWith(OPEN);
    }

    /** The atom a symbol string names. */
    public static FloorDiv parse(String atom) {
        DimText r = new DimText(atom);
        FloorDiv f = r.atom();
        r.end();
        return f;
    }

    /** The symbol string of this atom: {@code floor((inner)/divisor)}. */
    public String symbol() {
        return OPEN + inner + ")/" + divisor + ")";
    }

    public long evaluate(Map<String, Long> binding) {
        return Math.floorDiv(inner.evaluate(binding), divisor);
    }

    public long upperBound(Map<String, Long> bounds) {
        return Math.floorDiv(inner.upperBound(bounds), divisor);
    }

    /** The least value of a term's symbol: 1 for a graph symbol, the atom at its symbols' least. */
    static long least(String symbol) {
        if (!isAtom(symbol)) {
            return 1;
        }
        FloorDiv f = parse(symbol);
        return Math.floorDiv(f.inner.least().orElse(0L), f.divisor);
    }

    static Dim of(Dim d, long divisor) {
        if (divisor < 1) {
            throw new IllegalArgumentException("cannot divide " + d + " by " + divisor);
        }
        if (divisor == 1) {
            return d;
        }
        // floor((floor(X/a) + b)/s) = floor((X + a*b)/(a*s)) for integers: a chain of strides is one atom.
        List<Dim.Term> ts = d.terms();
        Dim.Term first = ts.isEmpty() ? null : ts.getFirst();
        if (first != null
                && first.coeff() == 1
                && first.symbols().size() == 1
                && isAtom(first.symbols().getFirst())
                && (ts.size() == 1 || ts.size() == 2 && ts.get(1).symbols().isEmpty())) {
            FloorDiv a = parse(first.symbols().getFirst());
            return of(
                    a.inner.plus(Dim.of(Math.multiplyExact(a.divisor, d.constant()))),
                    Math.multiplyExact(a.divisor, divisor));
        }
        List<Dim.Term> whole = new ArrayList<>();
        List<Dim.Term> rest = new ArrayList<>();
        long gcd = divisor;
        for (Dim.Term t : ts) {
            if (t.symbols().size() > 1) {
                throw new IllegalArgumentException(
                        "cannot take floor(" + d + " / " + divisor + "): " + t + " is a product of sizes");
            }
            long q = Math.floorDiv(t.coeff(), divisor);
            long r = Math.floorMod(t.coeff(), divisor);
            if (q != 0) {
                whole.add(new Dim.Term(q, t.symbols()));
            }
            if (r != 0) {
                rest.add(new Dim.Term(r, t.symbols()));
                if (!t.symbols().isEmpty()) {
                    gcd = gcd(gcd, r);
                }
            }
        }
        Dim quotient = new Dim(whole);
        Dim remainder = new Dim(rest);
        if (remainder.isFixed()) {
            return quotient; // 0 <= remainder < divisor
        }
        if (gcd > 1) {
            // floor((g*A + r)/(g*b)) = floor((A + floor(r/g))/b) for integer A.
            List<Dim.Term> reduced = new ArrayList<>();
            for (Dim.Term t : remainder.terms()) {
                reduced.add(
                        t.symbols().isEmpty()
                                ? new Dim.Term(t.coeff() / gcd, List.of())
                                : new Dim.Term(t.coeff() / gcd, t.symbols()));
            }
            return quotient.plus(of(new Dim(reduced), divisor / gcd));
        }
        return quotient.plus(new Dim(1, List.of(new FloorDiv(remainder, divisor).symbol())));
    }

    private static long gcd(long a, long b) {
        return b == 0 ? Math.abs(a) : gcd(b, a % b);
    }
}
