package fsc.backend.java;

import fsc.ir.Dim;
import fsc.ir.FloorDiv;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A sum of monomials over the graph's symbols ({@code 2*384*1536*batch*batch_1 + 384*batch_1}): a
 * node's FLOPs or bytes for whatever sizes a call binds. {@link Dim} is one monomial; costs add
 * several (inputs plus outputs), and block-quantized bytes need fractional coefficients.
 */
record Poly(TreeMap<String, Double> terms) {
    /** Term keys are the sorted symbols joined by '*', "" for the constant term. */
    Poly {
        terms = new TreeMap<>(terms);
        terms.values().removeIf(c -> c == 0.0);
    }

    static final Poly ZERO = new Poly(new TreeMap<>());

    static Poly of(Dim d) {
        return of(d, 1.0);
    }

    /**
     * {@code scale × d}. A floor-division atom ({@code floor((H+1)/2)}) counts as its exact quotient
     * ({@code H/2 + 1/2}), at most one off per factor: a cost, not a size.
     */
    static Poly of(Dim d, double scale) {
        Poly sum = ZERO;
        for (Dim.Term term : d.terms()) {
            Poly p = new Poly(new TreeMap<>(java.util.Map.of("", term.coeff() * scale)));
            for (String sym : term.symbols()) {
                if (FloorDiv.isAtom(sym)) {
                    FloorDiv f = FloorDiv.parse(sym);
                    p = p.times(of(f.inner(), 1.0 / f.divisor()));
                } else {
                    p = p.times(new Poly(new TreeMap<>(java.util.Map.of(sym, 1.0))));
                }
            }
            sum = sum.plus(p);
        }
        return sum;
    }

    /** The product, term by term, symbols of each product sorted as {@link Dim.Term} sorts them. */
    Poly times(Poly o) {
        TreeMap<String, Double> t = new TreeMap<>();
        terms.forEach((ka, va) -> o.terms.forEach((kb, vb) -> {
            List<String> syms = new ArrayList<>();
            if (!ka.isEmpty()) {
                syms.addAll(List.of(ka.split("\\*")));
            }
            if (!kb.isEmpty()) {
                syms.addAll(List.of(kb.split("\\*")));
            }
            java.util.Collections.sort(syms);
            t.merge(String.join("*", syms), va * vb, Double::sum);
        }));
        return new Poly(t);
    }

    /** This polynomial with each symbol of {@code bounds} replaced by its value (an upper-bound cost). */
    Poly atBounds(Map<String, Long> bounds) {
        if (bounds.isEmpty()) {
            return this;
        }
        TreeMap<String, Double> t = new TreeMap<>();
        terms.forEach((key, coeff) -> {
            double c = coeff;
            List<String> rest = new ArrayList<>();
            for (String s : key.isEmpty() ? List.<String>of() : List.of(key.split("\\*"))) {
                Long b = bounds.get(s);
                if (b != null) {
                    c *= b;
                } else {
                    rest.add(s);
                }
            }
            t.merge(String.join("*", rest), c, Double::sum);
        });
        return new Poly(t);
    }

    Poly plus(Poly o) {
        TreeMap<String, Double> t = new TreeMap<>(terms);
        o.terms.forEach((k, v) -> t.merge(k, v, Double::sum));
        return new Poly(t);
    }

    /** Value with every symbol bound. */
    double evaluate(Map<String, Long> binding) {
        double s = 0;
        for (Map.Entry<String, Double> e : terms.entrySet()) {
            double v = e.getValue();
            if (!e.getKey().isEmpty()) {
                for (String sym : e.getKey().split("\\*")) {
                    Long b = binding.get(sym);
                    if (b == null) {
                        throw new IllegalArgumentException("symbol " + sym + " is not bound");
                    }
                    v *= b;
                }
            }
            s += v;
        }
        return s;
    }

    /** JSON: {@code [[coeff, "sym", ...], ...]}, terms in key order (deterministic). */
    String json() {
        List<String> out = new ArrayList<>();
        terms.forEach((k, v) -> {
            StringBuilder b = new StringBuilder("[").append(number(v));
            if (!k.isEmpty()) {
                for (String sym : k.split("\\*")) {
                    b.append(", ").append(ModelJson.str(sym));
                }
            }
            out.add(b.append(']').toString());
        });
        return out.stream().collect(Collectors.joining(", ", "[", "]"));
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    @Override
    public String toString() {
        return json();
    }
}
