package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.ops.KnownValues;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Rewrites operand-form nodes (what the ONNX importer produces when a shape or axes is a tensor)
 * into the folded forms of {@code docs/IR.md}, which backends accept: the operand becomes an
 * attribute. Targets of reshape, expand and constant_of_shape are read from the output type, which
 * the importer already resolved ({@code 0} copied, {@code -1} inferred), so the attribute is the
 * real shape, symbols included. Axes, starts and ends come from the operands' known contents.
 */
final class OperandForms {
    private OperandForms() {}

    /** The folded form of {@code n}, or empty when {@code n} is folded already or its operands are unknown. */
    static Optional<Node> fold(Node n, KnownValues known) {
        return switch (n.op()) {
            case "reshape" -> n.inputs().size() == 2 ? Optional.of(reshape(n)) : Optional.empty();
            case "expand" ->
                n.inputs().size() == 2 ? Optional.of(withTarget(n, List.of(n.input(0)))) : Optional.empty();
            case "constant_of_shape" ->
                n.inputs().size() == 1 ? Optional.of(withTarget(n, List.of())) : Optional.empty();
            case "squeeze", "unsqueeze" -> n.inputs().size() == 2 ? axes(n, known, false) : Optional.empty();
            case "reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_l2" ->
                n.inputs().size() == 2 ? axes(n, known, true) : Optional.empty();
            case "slice" -> n.inputs().size() > 1 ? slice(n, known) : Optional.empty();
            default -> Optional.empty();
        };
    }

    /**
     * {@code reshape(x, s)} → {@code reshape(x) {shape = <out dims>}}. The resolved target has no
     * {@code -1}; a {@code 0} in it is a real empty dimension, so then {@code allowzero = 1} keeps it
     * from meaning "copy".
     */
    private static Node reshape(Node n) {
        Node folded = withTarget(n, List.of(n.input(0)));
        TreeMap<String, Attr> attrs = new TreeMap<>(folded.attrs());
        boolean hasZero = n.output().type().dims().stream().anyMatch(d -> d.isFixed() && d.value() == 0);
        if (hasZero) {
            attrs.put("allowzero", Attr.of(1L));
        } else {
            attrs.remove("allowzero");
        }
        return new Node(n.op(), n.name(), folded.inputs(), n.outputs(), attrs);
    }

    /** The node with {@code inputs} and attribute {@code shape} set to its output's dimensions. */
    private static Node withTarget(Node n, List<Value> inputs) {
        TreeMap<String, Attr> attrs = new TreeMap<>(n.attrs());
        attrs.put("shape", new Attr.Dims(n.output().type().dims()));
        return new Node(n.op(), n.name(), inputs, n.outputs(), attrs);
    }

    /**
     * Axes operand → attribute {@code axes}. An empty axes operand of a reduction means the same as
     * none at all (reduce everything, or nothing with {@code noop_with_empty_axes}), so it is dropped
     * without adding an attribute.
     */
    private static Optional<Node> axes(Node n, KnownValues known, boolean reduction) {
        Optional<long[]> axes = fixed(known, n.input(1));
        if (axes.isEmpty()) {
            return Optional.empty();
        }
        TreeMap<String, Attr> attrs = new TreeMap<>(n.attrs());
        if (axes.get().length > 0 || !reduction) {
            attrs.put("axes", Attr.ints(axes.get()));
        }
        return Optional.of(new Node(n.op(), n.name(), List.of(n.input(0)), n.outputs(), attrs));
    }

    /**
     * {@code slice(x, starts, ends[, axes[, steps]])} → {@code slice(x) {starts, ends, axes, steps}};
     * starts and ends stay {@code Dims} because exports compute them from symbolic sizes ({@code <S>}).
     * The values are moved unchanged, so ONNX clamping still applies to them.
     */
    private static Optional<Node> slice(Node n, KnownValues known) {
        if (n.inputs().size() < 3) {
            return Optional.empty();
        }
        Optional<List<Dim>> starts = known.get(n.input(1));
        Optional<List<Dim>> ends = known.get(n.input(2));
        Optional<long[]> axes = n.inputs().size() > 3 ? fixed(known, n.input(3)) : Optional.of(new long[0]);
        Optional<long[]> steps = n.inputs().size() > 4 ? fixed(known, n.input(4)) : Optional.of(new long[0]);
        if (starts.isEmpty() || ends.isEmpty() || axes.isEmpty() || steps.isEmpty()) {
            return Optional.empty();
        }
        TreeMap<String, Attr> attrs = new TreeMap<>(n.attrs());
        attrs.put("starts", new Attr.Dims(starts.get()));
        attrs.put("ends", new Attr.Dims(ends.get()));
        if (n.inputs().size() > 3) {
            attrs.put("axes", Attr.ints(axes.get()));
        }
        if (n.inputs().size() > 4) {
            attrs.put("steps", Attr.ints(steps.get()));
        }
        return Optional.of(new Node(n.op(), n.name(), List.of(n.input(0)), n.outputs(), attrs));
    }

    /** Known contents of {@code v} when they are all plain numbers. */
    private static Optional<long[]> fixed(KnownValues known, Value v) {
        return known.get(v)
                .filter(WeightValues::allFixed)
                .map(c -> c.stream().mapToLong(Dim::value).toArray());
    }
}
