package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.ops.KnownValues;
import fsc.ir.ops.Ops;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The nodes one node is lowered to, appended to the graph's node list in place of it. New nodes
 * carry the node's name and are typed by their ops' shape rules; intermediate values are named
 * {@code <first output>/<suffix>} (as the ONNX frontend names the pieces of an op it expands), and
 * the node's own output values are written by {@link #produce}, so no reader needs rewriting.
 */
final class Expansion {
    final Node node;
    private final Set<String> names;
    private final List<Node> nodes;
    private final List<Constant> constants;
    private final TreeMap<String, WeightData> weights;

    Expansion(
            Node node,
            Set<String> names,
            List<Node> nodes,
            List<Constant> constants,
            TreeMap<String, WeightData> weights) {
        this.node = node;
        this.names = names;
        this.nodes = nodes;
        this.constants = constants;
        this.weights = weights;
    }

    /** An intermediate node of {@code op}; its one output is named after the node's with {@code suffix}. */
    Value emit(String op, List<Value> inputs, Map<String, Attr> attrs, String suffix) {
        Value out = new Value(
                UniqueNames.unique(names, node.outputs().getFirst().name() + "/" + suffix), type(op, inputs, attrs));
        nodes.add(new Node(op, node.name(), inputs, List.of(out), attrs));
        return out;
    }

    /** A node of {@code op} that computes {@code out}, one of the lowered node's outputs. */
    void produce(String op, List<Value> inputs, Map<String, Attr> attrs, Value out) {
        TensorType t = type(op, inputs, attrs);
        if (!t.equals(out.type())) {
            throw new IllegalStateException(
                    node.where() + ": lowered to " + op + " giving " + t + ", not " + out.type() + " as the node did");
        }
        nodes.add(new Node(op, node.name(), inputs, List.of(out), attrs));
    }

    /** {@code x} as {@code to}: x itself when it already is. */
    Value cast(Value x, DType to, String suffix) {
        return x.dtype() == to ? x : emit("cast", List.of(x), Map.of("to", new Attr.Type(to)), suffix);
    }

    /** An f32 scalar constant. */
    Value scalar(String suffix, double value) {
        ByteBuffer b =
                ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) value);
        return constant(suffix, new WeightData(DType.F32, List.of(), b.flip()));
    }

    /** A constant holding {@code data}, its value and weight named after the node's output with {@code suffix}. */
    Value constant(String suffix, WeightData data) {
        // names holds the weights' names too, so the value's unique name is free as a weight name.
        String name = UniqueNames.unique(names, node.outputs().getFirst().name() + "/" + suffix);
        Value v = new Value(
                name,
                TensorType.of(data.dtype())
                        .withDims(data.dims().stream().map(fsc.ir.Dim::of).toList()));
        weights.put(name, data);
        constants.add(new Constant(v, name));
        return v;
    }

    private TensorType type(String op, List<Value> inputs, Map<String, Attr> attrs) {
        List<TensorType> types = Ops.infer(op, node.where(), inputs, new TreeMap<>(attrs), new KnownValues());
        if (types.size() != 1) {
            throw new IllegalStateException(
                    op + " gives " + types.size() + " outputs; a lowering emits single-output ops");
        }
        return types.getFirst();
    }
}
