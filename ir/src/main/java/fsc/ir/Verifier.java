package fsc.ir;

import fsc.ir.ops.KnownValues;
import fsc.ir.ops.Ops;
import fsc.ir.ops.ShapeValues;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks the IR invariants every pass must keep: SSA (one definition per value), definitions before
 * uses in node order, known ops with the right arity, recorded types equal to what the shape rules
 * infer, every symbol bounded, constants backed by weights of their type, outputs defined. The first
 * violation is reported as an {@link FscException} naming the node or value.
 */
public final class Verifier {
    private Verifier() {}

    /** Symbol names must be identifiers so the text format can print them bare. */
    private static final Pattern SYMBOL = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public static void verify(Graph g) {
        String in = "graph '" + g.name() + "'";
        for (var e : g.symbols().entrySet()) {
            if (!SYMBOL.matcher(e.getKey()).matches()) {
                throw new FscException(in + ": symbol '" + e.getKey() + "' is not an identifier");
            }
            if (e.getValue() < 1) {
                throw new FscException(in + ": symbol " + e.getKey() + " has bound " + e.getValue() + ", must be >= 1");
            }
        }
        Set<Value> defined = Collections.newSetFromMap(new IdentityHashMap<>());
        KnownValues known = new KnownValues();
        for (Value v : g.inputs()) {
            define(g, defined, v, "input");
        }
        for (Constant c : g.constants()) {
            Value v = c.value();
            define(g, defined, v, "constant");
            if (!g.weights().contains(c.weight())) {
                throw new FscException(in + ": constant %" + v.name() + " names missing weight '" + c.weight() + "'");
            }
            WeightData w = g.weights().get(c.weight());
            if (!w.type().equals(v.type())) {
                throw new FscException(in + ": constant %" + v.name() + " is typed " + v.type() + " but weight '"
                        + c.weight() + "' is " + w.type());
            }
            ShapeValues.fromWeight(w).ifPresent(k -> known.put(v, k));
        }
        for (Node n : g.nodes()) {
            verifyNode(g, n, defined, known);
        }
        for (Value v : g.outputs()) {
            if (!defined.contains(v)) {
                throw new FscException(in + ": output %" + v.name() + " is never defined");
            }
        }
    }

    private static void verifyNode(Graph g, Node n, Set<Value> defined, KnownValues known) {
        String where = n.where();
        if (!Ops.exists(n.op())) {
            throw new FscException(where + ": unknown op '" + n.op() + "'");
        }
        for (int i = 0; i < n.inputs().size(); i++) {
            Value v = n.input(i);
            if (!defined.contains(v)) {
                boolean later = g.nodes().stream().anyMatch(m -> m.outputs().contains(v));
                throw new FscException(where + ": input " + i + " %" + v.name()
                        + (later ? " is defined by a later node (nodes out of order, or a cycle)" : " is undefined"));
            }
        }
        for (var e : n.attrs().entrySet()) {
            if (e.getValue() instanceof Attr.Dims dims) {
                for (Dim d : dims.values()) {
                    for (String s : d.symbols()) {
                        if (!g.symbols().containsKey(s)) {
                            throw new FscException(where + ": attribute " + e.getKey() + " = " + dims + " uses symbol "
                                    + s + ", which has no bound");
                        }
                    }
                }
            }
        }
        List<TensorType> inferred = Ops.infer(n, known);
        if (inferred.size() != n.outputs().size()) {
            throw new FscException(
                    where + ": has " + n.outputs().size() + " outputs, the op defines " + inferred.size());
        }
        for (int i = 0; i < inferred.size(); i++) {
            Value out = n.outputs().get(i);
            if (!out.type().equals(inferred.get(i))) {
                throw new FscException(where + ": output %" + out.name() + " is recorded as " + out.type()
                        + " but the op gives " + inferred.get(i));
            }
            define(g, defined, out, "output of " + where);
        }
        ShapeValues.evaluate(n.op(), n.inputs(), n.attrs(), inferred, known)
                .ifPresent(k -> known.put(n.outputs().getFirst(), k));
    }

    private static void define(Graph g, Set<Value> defined, Value v, String what) {
        if (!defined.add(v)) {
            throw new FscException("graph '" + g.name() + "': " + what + " %" + v.name() + " is defined twice");
        }
        for (Dim d : v.type().dims()) {
            for (String s : d.symbols()) {
                if (!g.symbols().containsKey(s)) {
                    throw new FscException("graph '" + g.name() + "': " + what + " %" + v.name() + " : " + v.type()
                            + " uses symbol " + s + ", which has no bound");
                }
            }
        }
    }
}
