package fsc.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One tensor dimension: a sum of monomials {@code c0 + c1*m1 + c2*m2 ...} where each {@code m} is a
 * product of symbols. A fixed dimension is the constant alone ({@code 384}); a symbolic one names
 * run-time sizes ({@code S}, {@code B*S}, {@code 12*S}, and sums such as {@code P+S} or {@code 2*N-1}).
 *
 * <p>Monomials cover the reshapes real exports do (flatten {@code [B,S,384]} to {@code [B*S,384]} and
 * back); sums cover decoders with a past cache, whose present length is past plus new tokens ({@code
 * P+S}: Concat along an axis, Shape→Gather→Add chains, Slice and Range bounds). A product of a sum
 * and a symbol distributes ({@code B*(P+S)} is {@code B*P+B*S}); symbols are never divided, so a term
 * stays a monomial with a whole coefficient.
 *
 * <p>The form is canonical, so equal dimensions are equal records: terms are merged by monomial,
 * terms with coefficient 0 dropped, symbols within a term sorted, and terms sorted by their symbols
 * with the constant last (printed {@code P+S-1}).
 *
 * <p>The same record also stands for the contents of small integer tensors computed from shapes
 * (ONNX {@code Shape → Gather → Concat} chains), where negative values such as {@code -1} occur;
 * {@link TensorType} rejects dimensions that are provably negative.
 */
public record Dim(List<Term> terms) {

    /** {@code coeff * symbols[0] * symbols[1] ...}, symbols sorted; no symbols for the constant. */
    public record Term(long coeff, List<String> symbols) {
        public Term {
            List<String> sorted = new ArrayList<>(symbols);
            Collections.sort(sorted);
            symbols = List.copyOf(sorted);
        }

        String key() {
            return String.join("*", symbols);
        }

        @Override
        public String toString() {
            if (symbols.isEmpty()) {
                return Long.toString(coeff);
            }
            String syms = key();
            return coeff == 1 ? syms : coeff == -1 ? "-" + syms : coeff + "*" + syms;
        }
    }

    /** Symbolic terms by degree then name, the constant last. */
    private static final Comparator<Term> ORDER = Comparator.<Term>comparingInt(
                    t -> t.symbols().isEmpty() ? Integer.MAX_VALUE : t.symbols().size())
            .thenComparing(Term::key);

    public Dim {
        TreeMap<List<String>, Long> merged = new TreeMap<>(Comparator.comparing(l -> String.join("*", l)));
        for (Term t : terms) {
            merged.merge(t.symbols(), t.coeff(), Math::addExact);
        }
        List<Term> out = new ArrayList<>();
        merged.forEach((syms, c) -> {
            if (c != 0) {
                out.add(new Term(c, syms));
            }
        });
        out.sort(ORDER);
        terms = List.copyOf(out);
    }

    /** The monomial {@code coeff * symbols}. */
    public Dim(long coeff, List<String> symbols) {
        this(List.of(new Term(coeff, symbols)));
    }

    public static Dim of(long value) {
        return new Dim(value, List.of());
    }

    public static Dim sym(String name) {
        return new Dim(1, List.of(name));
    }

    public boolean isFixed() {
        return terms.isEmpty()
                || terms.size() == 1 && terms.getFirst().symbols().isEmpty();
    }

    /** Whether this is one term ({@code 0}, {@code 384}, {@code 12*S}, {@code B*S}), as every dim was before sums. */
    public boolean isMonomial() {
        return terms.size() <= 1;
    }

    /** Whether this is exactly one symbol with coefficient 1 ({@code S}); empty otherwise. */
    public Optional<String> asSymbol() {
        if (terms.size() == 1
                && terms.getFirst().coeff() == 1
                && terms.getFirst().symbols().size() == 1) {
            return Optional.of(terms.getFirst().symbols().getFirst());
        }
        return Optional.empty();
    }

    /** The value of a fixed dimension. */
    public long value() {
        if (!isFixed()) {
            throw new IllegalStateException("dimension " + this + " is symbolic");
        }
        return constant();
    }

    /** The constant term ({@code -1} of {@code P+S-1}; 0 when there is none). */
    public long constant() {
        Term last = terms.isEmpty() ? null : terms.getLast();
        return last != null && last.symbols().isEmpty() ? last.coeff() : 0;
    }

    /** The coefficient of a monomial (0 for the zero dim). A sum has no single coefficient. */
    public long coeff() {
        return monomial().coeff();
    }

    /**
     * Every symbol this dim names, sorted; for a monomial, its factors with repeats ({@code S*S} gives
     * {@code [S, S]}), as products were always listed.
     */
    public List<String> symbols() {
        if (isMonomial() && monomial().symbols().stream().noneMatch(FloorDiv::isAtom)) {
            return monomial().symbols();
        }
        TreeSet<String> all = new TreeSet<>();
        terms.forEach(t -> t.symbols().forEach(s -> {
            if (FloorDiv.isAtom(s)) {
                all.addAll(FloorDiv.parse(s).inner().symbols());
            } else {
                all.add(s);
            }
        }));
        return List.copyOf(all);
    }

    /**
     * {@code floor(this / divisor)}, the output size of a strided window ({@code floor((H+2p-k)/s)+1}).
     * Exact when every coefficient is a multiple of the divisor; otherwise whole multiples are taken
     * out of the floor and what remains is one atom, a factor written {@code floor((H+1)/2)}, whose
     * coefficients lie in {@code [0, divisor)}: so {@code floor((H-1)/2)+1} and {@code floor((H+1)/2)}
     * are the same dim. A floor of an atom plus a constant folds into one atom ({@code
     * floor((floor((H+1)/2)+1)/2) = floor((H+3)/4)}), so a chain of stride-2 layers stays one atom.
     * Needs every symbol (atoms included) to stand alone in its term: a product of symbols cannot be
     * taken modulo the divisor term by term and is refused.
     */
    public Dim floorDiv(long divisor) {
        return FloorDiv.of(this, divisor);
    }

    /** Whether a term holds a {@link FloorDiv} atom. */
    public boolean hasFloorDiv() {
        return terms.stream().anyMatch(t -> t.symbols().stream().anyMatch(FloorDiv::isAtom));
    }

    /** {@code ceil(this / divisor)}. */
    public Dim ceilDiv(long divisor) {
        return plus(of(divisor - 1)).floorDiv(divisor);
    }

    private Term monomial() {
        if (terms.isEmpty()) {
            return new Term(0, List.of());
        }
        if (terms.size() > 1) {
            throw new IllegalStateException("dimension " + this + " is a sum, not one term");
        }
        return terms.getFirst();
    }

    /**
     * The least value when every symbol is a size of at least 1 (the run-time signature checks that),
     * or empty when a term with a negative coefficient grows without bound.
     */
    Optional<Long> least() {
        long v = 0;
        for (Term t : terms) {
            if (t.coeff() < 0 && !t.symbols().isEmpty()) {
                return Optional.empty();
            }
            long p = t.coeff();
            for (String s : t.symbols()) {
                p *= FloorDiv.least(s);
            }
            v += p;
        }
        return Optional.of(v);
    }

    /** Whether the value is at least 0 for every size of the symbols ({@code S-1} is, {@code 1-S} is not). */
    public boolean isNonNegative() {
        return least().map(v -> v >= 0).orElse(false);
    }

    /** Whether the value is below 0 for every size of the symbols ({@code -S}, {@code 1-2*S}). */
    public boolean isNegative() {
        long most = 0;
        for (Term t : terms) {
            if (t.coeff() > 0 && !t.symbols().isEmpty()) {
                return false;
            }
            long p = t.coeff();
            for (String s : t.symbols()) {
                p *= FloorDiv.least(s);
            }
            most += p;
        }
        return most < 0;
    }

    public Dim plus(Dim other) {
        List<Term> all = new ArrayList<>(terms);
        all.addAll(other.terms);
        return new Dim(all);
    }

    public Dim negate() {
        return new Dim(
                terms.stream().map(t -> new Term(-t.coeff(), t.symbols())).toList());
    }

    public Dim minus(Dim other) {
        return plus(other.negate());
    }

    public Dim times(Dim other) {
        List<Term> all = new ArrayList<>();
        for (Term a : terms) {
            for (Term b : other.terms) {
                List<String> syms = new ArrayList<>(a.symbols());
                syms.addAll(b.symbols());
                all.add(new Term(Math.multiplyExact(a.coeff(), b.coeff()), syms));
            }
        }
        return new Dim(all);
    }

    /**
     * {@code this / other} when it divides exactly, else empty: every term by a monomial ({@code
     * (4*B*P+4*B*S) / 4 = B*P+B*S}), or by a sum that this is a monomial multiple of ({@code
     * (B*P+B*S) / (P+S) = B}).
     */
    public Optional<Dim> dividedBy(Dim other) {
        if (other.terms.isEmpty()) {
            return Optional.empty();
        }
        if (other.isMonomial()) {
            List<Term> out = new ArrayList<>();
            for (Term t : terms) {
                Optional<Term> q = divide(t, other.terms.getFirst());
                if (q.isEmpty()) {
                    return Optional.empty();
                }
                out.add(q.get());
            }
            return Optional.of(new Dim(out));
        }
        if (terms.isEmpty()) {
            return Optional.of(of(0));
        }
        // A multiple of a sum: the leading terms fix the quotient, which must then give back all of this.
        Optional<Term> q = divide(terms.getFirst(), other.terms.getFirst());
        if (q.isEmpty()) {
            return Optional.empty();
        }
        Dim quotient = new Dim(List.of(q.get()));
        return other.times(quotient).equals(this) ? Optional.of(quotient) : Optional.empty();
    }

    private static Optional<Term> divide(Term a, Term b) {
        if (b.coeff() == 0 || a.coeff() % b.coeff() != 0) {
            return Optional.empty();
        }
        List<String> syms = new ArrayList<>(a.symbols());
        for (String s : b.symbols()) {
            if (!syms.remove(s)) {
                return Optional.empty();
            }
        }
        return Optional.of(new Term(a.coeff() / b.coeff(), syms));
    }

    /** Value under a binding of every symbol. */
    public long evaluate(Map<String, Long> binding) {
        long v = 0;
        for (Term t : terms) {
            long p = t.coeff();
            for (String s : t.symbols()) {
                Long b = FloorDiv.isAtom(s) ? (Long) FloorDiv.parse(s).evaluate(binding) : binding.get(s);
                if (b == null) {
                    throw new IllegalArgumentException("symbol " + s + " is not bound");
                }
                p *= b;
            }
            v += p;
        }
        return v;
    }

    /**
     * An upper bound on the value given each symbol's upper bound: positive terms at their bounds,
     * negative ones at their least (each symbol a size of at least 1), so {@code P+S-1} is bounded by
     * {@code P_max + S_max - 1} and {@code P-S} by {@code P_max - 1}.
     */
    public long upperBound(Map<String, Long> bounds) {
        long v = 0;
        for (Term t : terms) {
            if (t.coeff() < 0) {
                long p = t.coeff();
                for (String s : t.symbols()) {
                    p = Math.multiplyExact(p, FloorDiv.least(s));
                }
                v = Math.addExact(v, p);
                continue;
            }
            long p = t.coeff();
            for (String s : t.symbols()) {
                Long b = FloorDiv.isAtom(s) ? (Long) FloorDiv.parse(s).upperBound(bounds) : bounds.get(s);
                if (b == null) {
                    throw new IllegalArgumentException("symbol " + s + " is not bound");
                }
                p = Math.multiplyExact(p, b);
            }
            v = Math.addExact(v, p);
        }
        return v;
    }

    @Override
    public String toString() {
        if (terms.isEmpty()) {
            return "0";
        }
        StringBuilder b = new StringBuilder(terms.getFirst().toString());
        for (Term t : terms.subList(1, terms.size())) {
            String s = t.toString();
            b.append(s.startsWith("-") ? s : "+" + s);
        }
        return b.toString();
    }

    /** Product of dimensions. */
    public static Dim product(List<Dim> dims) {
        Dim p = of(1);
        for (Dim d : dims) {
            p = p.times(d);
        }
        return p;
    }
}
