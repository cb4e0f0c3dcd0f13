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
 * infer, every symbol bounded, constants backed by weights of their type, outputs defined. Fused
 * nodes are checked through their body: parameters typed as the node's inputs, the body in SSA over
 * its parameters only, results typed as the node's outputs. Control-flow nodes are checked the same
 * way through each region, plus their op's rules ({@link ControlFlow}). A memory plan, when present, must place
 * only top-level values, at aligned offsets inside its arena. The first violation is reported as an
 * {@link FscException} naming the node or value.
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
        Scope defined = new Scope();
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
            // A {panelW} constant holds packed bytes (see PanelLayout); other layouts name the
            // row-major weight and the backend lays it out.
            if (!w.type().equals(PanelLayout.storageType(v.type()))) {
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
        if (g.plan() != null) {
            verifyPlan(g, in);
        }
    }

    /**
     * Values visible at a point ({@code visible}) and every value defined anywhere in the graph so
     * far ({@code everywhere}, shared by the scopes of fused bodies), so SSA holds graph-wide.
     */
    private record Scope(Set<Value> visible, Set<Value> everywhere) {
        Scope() {
            this(identitySet(), identitySet());
        }

        /** A scope for a body: sees nothing of the outer one, shares the graph-wide definitions. */
        Scope nested() {
            return new Scope(identitySet(), everywhere);
        }

        boolean contains(Value v) {
            return visible.contains(v);
        }

        private static Set<Value> identitySet() {
            return Collections.newSetFromMap(new IdentityHashMap<>());
        }
    }

    private static void verifyNode(Graph g, Node n, Scope defined, KnownValues known) {
        String where = n.where();
        for (int i = 0; i < n.inputs().size(); i++) {
            Value v = n.input(i);
            if (!defined.contains(v)) {
                boolean later = g.nodes().stream().anyMatch(m -> m.outputs().contains(v));
                throw new FscException(where + ": input " + i + " %" + v.name()
                        + (later ? " is defined by a later node (nodes out of order, or a cycle)" : " is undefined"));
            }
        }
        if (n.isFused() || n.op().equals(Node.FUSED)) {
            verifyFused(g, n, defined, known);
            return;
        }
        if (n.hasRegions() || ControlFlow.isControlFlow(n.op())) {
            verifyRegions(g, n, defined, known);
            return;
        }
        if (!Ops.exists(n.op())) {
            throw new FscException(where + ": unknown op '" + n.op() + "'");
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

    private static void verifyFused(Graph g, Node n, Scope outer, KnownValues outerKnown) {
        String where = n.where();
        if (!n.op().equals(Node.FUSED)) {
            throw new FscException(where + ": only '" + Node.FUSED + "' nodes have a body");
        }
        if (n.body() == null) {
            throw new FscException(where + ": a fused node needs a body");
        }
        if (!(n.attrs().get("kind") instanceof Attr.Str)) {
            throw new FscException(where + ": a fused node needs a string attribute 'kind'");
        }
        Region body = n.body();
        if (body.params().size() != n.inputs().size()) {
            throw new FscException(where + ": body has " + body.params().size() + " parameters for "
                    + n.inputs().size() + " inputs");
        }
        Scope inner = outer.nested();
        KnownValues known = new KnownValues();
        for (int i = 0; i < body.params().size(); i++) {
            Value p = body.params().get(i);
            Value arg = n.input(i);
            if (!p.type().equals(arg.type())) {
                throw new FscException(where + ": body parameter %" + p.name() + " is typed " + p.type() + " but input "
                        + i + " %" + arg.name() + " is " + arg.type());
            }
            define(g, inner, p, "body parameter of " + where);
            Value param = p;
            outerKnown.get(arg).ifPresent(k -> known.put(param, k));
        }
        for (Node m : body.nodes()) {
            verifyNode(g, m, inner, known);
        }
        if (body.results().size() != n.outputs().size()) {
            throw new FscException(where + ": body yields " + body.results().size() + " values for "
                    + n.outputs().size() + " outputs");
        }
        for (int i = 0; i < body.results().size(); i++) {
            Value r = body.results().get(i);
            Value out = n.outputs().get(i);
            if (!inner.contains(r)) {
                throw new FscException(where + ": body yields %" + r.name() + ", which the body does not define");
            }
            if (!r.type().equals(out.type())) {
                throw new FscException(where + ": body yields %" + r.name() + " typed " + r.type() + " but output " + i
                        + " %" + out.name() + " is " + out.type());
            }
            define(g, outer, out, "output of " + where);
        }
    }

    /**
     * A control-flow node: each region in its own scope over its parameters only (captured outer
     * values arrive as operands), in SSA graph-wide; then the op's signature rules ({@link
     * ControlFlow#infer}: branch types agree, loop-carried types fixed, scan axes in range) give the
     * output types the node must record.
     */
    private static void verifyRegions(Graph g, Node n, Scope outer, KnownValues outerKnown) {
        String where = n.where();
        if (n.isFused()) {
            throw new FscException(where + ": a control-flow node has regions, not a fused body");
        }
        if (n.regions().size() != ControlFlow.regionCount(n.op())) {
            throw new FscException(where + ": has " + n.regions().size() + " regions, " + n.op() + " takes "
                    + ControlFlow.regionCount(n.op()));
        }
        List<TensorType> inferred = Ops.infer(n, outerKnown);
        for (int r = 0; r < n.regions().size(); r++) {
            Region region = n.regions().get(r);
            Scope inner = outer.nested();
            KnownValues known = new KnownValues();
            for (int p = 0; p < region.params().size(); p++) {
                Value param = region.params().get(p);
                define(g, inner, param, "region " + r + " parameter of " + where);
                int captured = ControlFlow.capturedInput(n, p);
                if (captured >= 0) {
                    outerKnown.get(n.input(captured)).ifPresent(k -> known.put(param, k));
                }
            }
            for (Node m : region.nodes()) {
                verifyNode(g, m, inner, known);
            }
            for (Value res : region.results()) {
                if (!inner.contains(res)) {
                    throw new FscException(
                            where + ": region " + r + " yields %" + res.name() + ", which the region does not define");
                }
            }
        }
        if (inferred.size() != n.outputs().size()) {
            throw new FscException(
                    where + ": has " + n.outputs().size() + " outputs, its regions give " + inferred.size());
        }
        for (int i = 0; i < inferred.size(); i++) {
            Value out = n.outputs().get(i);
            if (!out.type().equals(inferred.get(i))) {
                throw new FscException(where + ": output %" + out.name() + " is recorded as " + out.type()
                        + " but the regions give " + inferred.get(i));
            }
            define(g, outer, out, "output of " + where);
        }
    }

    private static void verifyPlan(Graph g, String in) {
        MemoryPlan plan = g.plan();
        Set<Value> placeable = Collections.newSetFromMap(new IdentityHashMap<>());
        placeable.addAll(g.inputs());
        g.nodes().forEach(n -> placeable.addAll(n.outputs()));
        for (var e : plan.slots().entrySet()) {
            Value v = e.getKey();
            MemoryPlan.Slot s = e.getValue();
            if (!placeable.contains(v)) {
                throw new FscException(in + ": memory plan places %" + v.name()
                        + ", which is not a graph input or node output of this graph");
            }
            if (s.offset() % plan.alignment() != 0) {
                throw new FscException(in + ": memory plan places %" + v.name() + " at offset " + s.offset()
                        + ", not a multiple of the alignment " + plan.alignment());
            }
            if (s.end() > plan.arenaBytes()) {
                throw new FscException(in + ": memory plan places %" + v.name() + " at [" + s.offset() + ", " + s.end()
                        + "), past the arena of " + plan.arenaBytes() + " bytes");
            }
        }
    }

    private static void define(Graph g, Scope defined, Value v, String what) {
        if (!defined.everywhere().add(v) || !defined.visible().add(v)) {
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
