package fsc.backend.cuda;

import fsc.ir.Dim;
import fsc.ir.FloorDiv;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Dimensions as C expressions. Fixed dims are literals baked into the kernel; a symbolic dim (a
 * monomial such as {@code 384*batch*batch_1}) reads the kernel's symbol parameters, named by {@link
 * #symbol}.
 */
final class CExpr {
    private CExpr() {}

    /** The kernel parameter that carries symbol {@code name} (prefixed so it can never be a C keyword). */
    static String symbol(String name) {
        return "s_" + name.replaceAll("[^A-Za-z0-9_]", "_");
    }

    /**
     * A term's factor: a symbol parameter, or a floor-division atom ({@code floor((H+1)/2)}), whose
     * inner dim is never negative (its canonical form), so C's truncating division is the floor.
     */
    private static String factor(String name) {
        if (FloorDiv.isAtom(name)) {
            FloorDiv f = FloorDiv.parse(name);
            return "(" + dim(f.inner()) + " / " + f.divisor() + "LL)";
        }
        return symbol(name);
    }

    static String dim(Dim d) {
        if (d.isFixed()) {
            return d.value() + "LL";
        }
        List<String> terms = new ArrayList<>();
        for (Dim.Term t : d.terms()) {
            StringBuilder sb = new StringBuilder();
            if (t.coeff() != 1 || t.symbols().isEmpty()) {
                sb.append(t.coeff()).append("LL");
                if (!t.symbols().isEmpty()) {
                    sb.append("*");
                }
            }
            sb.append(String.join("*", t.symbols().stream().map(CExpr::factor).toList()));
            terms.add(sb.toString());
        }
        return "(" + String.join(" + ", terms) + ")";
    }

    /** Product of dims {@code from..to-1} of {@code t} as one monomial (1 when empty). */
    static Dim product(TensorType t, int from, int to) {
        Dim p = Dim.of(1);
        for (int i = from; i < to; i++) {
            p = p.times(t.dim(i));
        }
        return p;
    }

    /** Row-major strides of {@code t}, in elements. */
    static List<Dim> strides(TensorType t) {
        List<Dim> s = new ArrayList<>();
        for (int i = 0; i < t.rank(); i++) {
            s.add(product(t, i + 1, t.rank()));
        }
        return s;
    }

    /**
     * C statements that split flat index {@code flat} of a tensor of type {@code out} into coordinates
     * {@code prefix0..prefixN-1} (declared as {@code i64}).
     */
    static String unflatten(TensorType out, String flat, String prefix) {
        StringBuilder sb = new StringBuilder();
        sb.append("    i64 r_").append(prefix).append(" = ").append(flat).append(";\n");
        for (int i = out.rank() - 1; i >= 0; i--) {
            String d = dim(out.dim(i));
            sb.append("    i64 ")
                    .append(prefix)
                    .append(i)
                    .append(" = r_")
                    .append(prefix)
                    .append(" % ")
                    .append(d)
                    .append("; r_")
                    .append(prefix)
                    .append(" /= ")
                    .append(d)
                    .append(";\n");
        }
        return sb.toString();
    }

    /**
     * The flat index into {@code in} (row-major) of the element that numpy broadcasting maps to output
     * coordinates {@code prefix*} of an output of rank {@code outRank}: size-1 axes read index 0.
     */
    static String broadcastIndex(TensorType in, int outRank, String prefix) {
        List<Dim> strides = strides(in);
        List<String> terms = new ArrayList<>();
        int shift = outRank - in.rank();
        for (int i = 0; i < in.rank(); i++) {
            if (in.dim(i).isFixed() && in.dim(i).value() == 1) {
                continue;
            }
            String stride = dim(strides.get(i));
            terms.add(prefix + (i + shift) + (stride.equals("1LL") ? "" : "*" + stride));
        }
        return terms.isEmpty() ? "0" : String.join(" + ", terms);
    }
}
