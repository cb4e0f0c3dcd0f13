package fsc.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One tensor dimension: a monomial {@code coeff * sym1 * sym2 * ...}. A fixed dimension has no
 * symbols ({@code 384}); a symbolic one names runtime sizes ({@code S}, {@code B*S}, {@code 12*S}).
 * Monomials are closed under multiplication and exact division, which covers the reshapes real
 * exports do (flatten {@code [B,S,384]} to {@code [B*S,384]} and back). Symbols are kept sorted so
 * equal dimensions are equal records.
 *
 * <p>The same record also stands for the contents of small integer tensors computed from shapes
 * (ONNX {@code Shape → Gather → Concat} chains), where negative values such as {@code -1} occur;
 * {@link TensorType} rejects negative fixed dimensions.
 */
public record Dim(long coeff, List<String> symbols) {

    public Dim {
        List<String> sorted = new ArrayList<>(symbols);
        Collections.sort(sorted);
        symbols = List.copyOf(sorted);
    }

    public static Dim of(long value) {
        return new Dim(value, List.of());
    }

    public static Dim sym(String name) {
        return new Dim(1, List.of(name));
    }

    public boolean isFixed() {
        return symbols.isEmpty();
    }

    /** The value of a fixed dimension. */
    public long value() {
        if (!isFixed()) {
            throw new IllegalStateException("dimension " + this + " is symbolic");
        }
        return coeff;
    }

    public Dim times(Dim other) {
        List<String> syms = new ArrayList<>(symbols);
        syms.addAll(other.symbols);
        return new Dim(coeff * other.coeff, syms);
    }

    /** {@code this / other} when it divides exactly, else empty. */
    public Optional<Dim> dividedBy(Dim other) {
        if (other.coeff == 0 || coeff % other.coeff != 0) {
            return Optional.empty();
        }
        List<String> syms = new ArrayList<>(symbols);
        for (String s : other.symbols) {
            if (!syms.remove(s)) {
                return Optional.empty();
            }
        }
        return Optional.of(new Dim(coeff / other.coeff, syms));
    }

    /** Value under a binding of every symbol. */
    public long evaluate(Map<String, Long> binding) {
        long v = coeff;
        for (String s : symbols) {
            Long b = binding.get(s);
            if (b == null) {
                throw new IllegalArgumentException("symbol " + s + " is not bound");
            }
            v *= b;
        }
        return v;
    }

    /** Largest value given each symbol's upper bound. */
    public long upperBound(Map<String, Long> bounds) {
        return evaluate(bounds);
    }

    @Override
    public String toString() {
        if (symbols.isEmpty()) {
            return Long.toString(coeff);
        }
        String syms = String.join("*", symbols);
        return coeff == 1 ? syms : coeff + "*" + syms;
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
