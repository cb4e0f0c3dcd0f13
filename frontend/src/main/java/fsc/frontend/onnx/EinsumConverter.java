package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Einsum as a broadcast product and a sum, for any equation with fixed shapes:
 *
 * <ol>
 *   <li>a label repeated within one operand ({@code ii}) takes that operand's diagonal ({@link
 *       StaticSelection});
 *   <li>every operand is transposed to one global label order (output labels first, then the summed
 *       ones) and reshaped with 1 for the labels it lacks;
 *   <li>the operands are multiplied with broadcasting and the summed labels reduced away.
 * </ol>
 *
 * Exact but not fast: the product is materialised over all labels, which suits the small contractions
 * models use Einsum for; an ellipsis stands for the same leading dimensions in every operand.
 */
final class EinsumConverter {
    private EinsumConverter() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("Einsum", 12, EinsumConverter::convert));
    }

    private static void convert(NodeContext c) {
        String equation = c.attrs.string("equation").orElseThrow(() -> c.fail("needs attribute 'equation'"));
        String eq = equation.replaceAll("\\s", "");
        int arrow = eq.indexOf("->");
        String lhs = arrow < 0 ? eq : eq.substring(0, arrow);
        List<String> terms = List.of(lhs.split(",", -1));
        List<Value> inputs = c.inputs();
        if (terms.size() != inputs.size()) {
            throw c.fail(
                    "equation '" + equation + "' names " + terms.size() + " operands, the node has " + inputs.size());
        }
        // Ellipsis dims get labels '0'..'9' aligned from the right, so no letter can clash with them.
        int ellipsis = 0;
        for (int i = 0; i < terms.size(); i++) {
            String t = terms.get(i);
            if (t.contains("...")) {
                ellipsis = Math.max(ellipsis, inputs.get(i).type().rank() - (t.length() - 3));
            }
        }
        String dots = "0123456789".substring(0, Math.min(10, Math.max(0, ellipsis)));
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < terms.size(); i++) {
            String t = terms.get(i);
            if (t.contains("...")) {
                int covered = inputs.get(i).type().rank() - (t.length() - 3);
                t = t.replace("...", dots.substring(dots.length() - covered));
            }
            if (t.length() != inputs.get(i).type().rank()) {
                throw c.fail("term '" + terms.get(i) + "' does not match operand " + i + " "
                        + inputs.get(i).type());
            }
            labels.add(t);
        }
        String out;
        if (arrow >= 0) {
            out = eq.substring(arrow + 2).replace("...", dots);
        } else {
            // Implicit output: the ellipsis, then the labels used exactly once, alphabetically.
            Map<Character, Integer> uses = new LinkedHashMap<>();
            labels.forEach(t -> t.chars().forEach(ch -> uses.merge((char) ch, 1, Integer::sum)));
            StringBuilder b = new StringBuilder(dots);
            new TreeSet<>(uses.keySet())
                    .stream()
                            .filter(ch -> uses.get(ch) == 1 && Character.isLetter(ch))
                            .forEach(b::append);
            out = b.toString();
        }

        // Sizes per label, and the global order: output labels, then summed ones by first appearance.
        Map<Character, Long> size = new LinkedHashMap<>();
        List<Value> operands = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            Value v = inputs.get(i);
            String t = labels.get(i);
            long[] shape = StaticSelection.fixedShape(c, v);
            if (hasRepeat(t)) {
                String unique = unique(t);
                long[] dshape = new long[unique.length()];
                for (int k = 0; k < unique.length(); k++) {
                    dshape[k] = shape[t.indexOf(unique.charAt(k))];
                }
                long[] strides = StaticSelection.strides(shape);
                String term = t;
                long[] idx = SelectionConverters.mapEach(dshape, (coord, flat) -> {
                    long at = 0;
                    for (int d = 0; d < term.length(); d++) {
                        at += coord[unique.indexOf(term.charAt(d))] * strides[d];
                    }
                    return at;
                });
                v = StaticSelection.select(c, v, idx, dshape, "diag" + i + "_", c.temp("diag" + i));
                t = unique;
                shape = dshape;
                labels.set(i, t);
            }
            for (int k = 0; k < t.length(); k++) {
                long prev = size.getOrDefault(t.charAt(k), 1L);
                if (prev != 1 && shape[k] != 1 && prev != shape[k]) {
                    throw c.fail("label '" + t.charAt(k) + "' has sizes " + prev + " and " + shape[k]);
                }
                size.put(t.charAt(k), Math.max(prev, shape[k]));
            }
            operands.add(v);
        }
        StringBuilder order = new StringBuilder(out);
        for (char ch : size.keySet()) {
            if (out.indexOf(ch) < 0) {
                order.append(ch);
            } else if (out.indexOf(ch) != out.lastIndexOf(ch)) {
                throw c.fail("output label '" + ch + "' repeats in '" + equation + "'");
            }
        }
        for (char ch : out.toCharArray()) {
            if (!size.containsKey(ch)) {
                throw c.fail("output label '" + ch + "' is not in any input of '" + equation + "'");
            }
        }

        Value product = null;
        for (int i = 0; i < operands.size(); i++) {
            Value aligned = align(c, operands.get(i), labels.get(i), order.toString(), i);
            product = product == null
                    ? aligned
                    : c.emit("mul", List.of(product, aligned), Map.of(), c.temp("product" + i));
        }
        int summed = order.length() - out.length();
        if (summed == 0) {
            c.produce("identity", List.of(product), Map.of());
            return;
        }
        long[] axes = new long[summed];
        for (int k = 0; k < summed; k++) {
            axes[k] = out.length() + k;
        }
        c.produce("reduce_sum", List.of(product), Map.of("axes", Attr.ints(axes), "keepdims", new Attr.Int(0)));
    }

    /** {@code v} (labels {@code t}) transposed to {@code order} and reshaped with 1 for the labels it lacks. */
    private static Value align(NodeContext c, Value v, String t, String order, int i) {
        List<Character> present = new ArrayList<>();
        for (char ch : order.toCharArray()) {
            if (t.indexOf(ch) >= 0) {
                present.add(ch);
            }
        }
        long[] perm = present.stream().mapToLong(t::indexOf).toArray();
        boolean identity = true;
        for (int k = 0; k < perm.length; k++) {
            identity &= perm[k] == k;
        }
        Value x =
                identity ? v : c.emit("transpose", List.of(v), Map.of("perm", Attr.ints(perm)), c.temp("aligned" + i));
        if (present.size() == order.length()) {
            return x;
        }
        long[] shape = StaticSelection.fixedShape(c, x);
        long[] full = new long[order.length()];
        int k = 0;
        for (int d = 0; d < order.length(); d++) {
            full[d] = t.indexOf(order.charAt(d)) >= 0 ? shape[k++] : 1;
        }
        return c.emit("reshape", List.of(x), Map.of("shape", StaticSelection.dims(full)), c.temp("expanded" + i));
    }

    private static boolean hasRepeat(String t) {
        return t.chars().distinct().count() != t.length();
    }

    private static String unique(String t) {
        StringBuilder b = new StringBuilder();
        t.chars().distinct().forEach(ch -> b.append((char) ch));
        return b.toString();
    }
}
