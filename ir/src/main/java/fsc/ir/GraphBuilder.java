package fsc.ir;

import fsc.ir.ops.KnownValues;
import fsc.ir.ops.Ops;
import fsc.ir.ops.ShapeValues;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds a {@link Graph} in execution order: inputs, constants, nodes whose output types come from
 * {@link Ops#infer}, outputs. It tracks the compile-time contents of small integer values ({@link
 * ShapeValues}) as it goes, so operand-form reshapes fed by shape arithmetic get full types.
 *
 * <pre>{@code
 * GraphBuilder b = new GraphBuilder("main").symbol("S", 512);
 * Value x = b.input("x", new TensorType(DType.F32, List.of(Dim.sym("S"), Dim.of(384))));
 * Value w = b.constant("w", weightData);
 * Value y = b.node("matmul", "/layer0/MatMul", List.of(x, w), Map.of());
 * Graph g = b.output(y).build();
 * }</pre>
 */
public final class GraphBuilder {
    private final String name;
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final List<Constant> constants = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final TreeMap<String, Long> symbols = new TreeMap<>();
    private final TreeMap<String, WeightData> weights = new TreeMap<>();
    private final TreeMap<String, String> metadata = new TreeMap<>();
    private final KnownValues known = new KnownValues();

    public GraphBuilder(String name) {
        this.name = name;
    }

    /** Declares a symbolic dimension and its upper bound. */
    public GraphBuilder symbol(String symbol, long upperBound) {
        symbols.put(symbol, upperBound);
        return this;
    }

    /** The symbols declared so far with their upper bounds (read-only). */
    public java.util.SortedMap<String, Long> symbols() {
        return java.util.Collections.unmodifiableSortedMap(symbols);
    }

    public GraphBuilder metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public Value input(String valueName, TensorType type) {
        Value v = new Value(valueName, type);
        inputs.add(v);
        return v;
    }

    /** A constant whose weight is stored under the value's name. */
    public Value constant(String valueName, WeightData data) {
        return constant(valueName, valueName, data);
    }

    /** A constant whose weight is stored under {@code weightName}; several constants may share one weight. */
    public Value constant(String valueName, String weightName, WeightData data) {
        WeightData prev = weights.putIfAbsent(weightName, data);
        if (prev != null && prev != data) {
            throw new IllegalStateException("weight '" + weightName + "' is already defined with other data");
        }
        Value v = new Value(valueName, data.type());
        constants.add(new Constant(v, weightName));
        ShapeValues.fromWeight(data).ifPresent(c -> known.put(v, c));
        return v;
    }

    /** Adds a single-output node; its output value is named after the node (or the op when unnamed). */
    public Value node(String op, String nodeName, List<Value> operands, Map<String, Attr> attrs) {
        return node(op, nodeName, operands, attrs, List.of(nodeName.isEmpty() ? op : nodeName))
                .getFirst();
    }

    /** Adds a node with one output per entry of {@code outputNames}, typed by the op's shape rule. */
    public List<Value> node(
            String op, String nodeName, List<Value> operands, Map<String, Attr> attrs, List<String> outputNames) {
        String where = nodeName.isEmpty() ? op : "node '" + nodeName + "' (" + op + ")";
        List<TensorType> types = Ops.infer(op, where, operands, attrs, known);
        if (types.size() != outputNames.size()) {
            throw new FscException(
                    where + ": " + op + " has " + types.size() + " outputs, " + outputNames.size() + " named");
        }
        List<Value> outs = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            outs.add(new Value(outputNames.get(i), types.get(i)));
        }
        add(new Node(op, nodeName, operands, outs, attrs));
        return outs;
    }

    /**
     * Adds a node built elsewhere (its outputs already typed, e.g. by a pass) and records the
     * contents of its output when they are computable.
     */
    public GraphBuilder add(Node node) {
        nodes.add(node);
        List<TensorType> types = node.outputs().stream().map(Value::type).toList();
        ShapeValues.evaluate(node.op(), node.inputs(), node.attrs(), types, known)
                .ifPresent(c -> known.put(node.outputs().getFirst(), c));
        return this;
    }

    public GraphBuilder output(Value v) {
        outputs.add(v);
        return this;
    }

    /** Compile-time contents known so far (read-only use; the builder keeps adding to it). */
    public KnownValues known() {
        return known;
    }

    /** The nodes added so far, in order (a region's body, when this builds one). */
    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    public Graph build() {
        return new Graph(name, inputs, outputs, constants, nodes, symbols, new Weights(weights), metadata);
    }
}
