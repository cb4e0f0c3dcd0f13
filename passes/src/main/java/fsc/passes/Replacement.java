package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.FscException;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.ops.KnownValues;
import fsc.ir.ops.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The nodes a recognizer puts in place of an anchor node. Every new node is typed by its op's shape
 * rule; {@link #finish} keeps the anchor's output values (so no use needs rewriting) and refuses the
 * rewrite when the rule gives another type than the anchor had. That check is what makes a match
 * safe on shapes the pattern did not anticipate: a mask that would widen the scores, a scale that
 * broadcasts over more than the normalised axes.
 */
final class Replacement {
    private final Node anchor;
    private final List<Node> nodes = new ArrayList<>();

    Replacement(Node anchor) {
        this.anchor = anchor;
    }

    /** An intermediate node; its one output is named after the anchor's with {@code suffix}. */
    Value add(String op, String suffix, List<Value> inputs, Map<String, Attr> attrs) {
        List<TensorType> types = infer(op, inputs, attrs);
        if (types == null || types.size() != 1) {
            return null;
        }
        Value out = new Value(anchor.output().name() + "_" + suffix, types.getFirst());
        nodes.add(new Node(op, anchor.name(), inputs, List.of(out), attrs));
        return out;
    }

    /** The final node, producing the anchor's own outputs; null when its type would differ. */
    List<Node> finish(String op, List<Value> inputs, Map<String, Attr> attrs) {
        List<TensorType> types = infer(op, inputs, attrs);
        if (types == null
                || !types.equals(anchor.outputs().stream().map(Value::type).toList())) {
            return null;
        }
        nodes.add(new Node(op, anchor.name(), inputs, anchor.outputs(), attrs));
        return List.copyOf(nodes);
    }

    private List<TensorType> infer(String op, List<Value> inputs, Map<String, Attr> attrs) {
        if (inputs.stream().anyMatch(java.util.Objects::isNull)) {
            return null;
        }
        try {
            return Ops.infer(op, anchor.where(), inputs, attrs, new KnownValues());
        } catch (FscException e) {
            // The pattern matched structurally but the high-level op does not accept these shapes.
            return null;
        }
    }
}
