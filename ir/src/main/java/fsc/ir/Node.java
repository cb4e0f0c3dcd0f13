package fsc.ir;

import fsc.ir.ops.Ops;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One operation. {@code op} names an {@link fsc.ir.ops.OpDef} in {@link fsc.ir.ops.Ops}; attributes
 * are kept sorted by name so printing is deterministic; {@code name} is provenance (e.g. the ONNX
 * node name) and may be empty.
 *
 * <p>A fused node ({@code op = "fused"}, attribute {@code kind} such as {@code "matmul_bias_gelu"})
 * carries a {@link Region} {@code body}: its inputs are the captured outer values, one per body
 * parameter, and its outputs one per body result. Every other node has a null body.
 *
 * <p>A control-flow node ({@code if}, {@code loop}, {@code scan}) owns {@code regions} instead:
 * nested graphs that, like a fused body, read only their own parameters (the importer turns ONNX's
 * outer-scope references into explicit captured operands; see {@link ControlFlow}). Every other node
 * has no regions.
 */
public record Node(
        String op,
        String name,
        List<Value> inputs,
        List<Value> outputs,
        SortedMap<String, Attr> attrs,
        Region body,
        List<Region> regions) {

    /** The op name of nodes with a body. */
    public static final String FUSED = "fused";

    public Node {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attrs = Collections.unmodifiableSortedMap(new TreeMap<>(attrs));
        regions = List.copyOf(regions);
    }

    public Node(
            String op,
            String name,
            List<Value> inputs,
            List<Value> outputs,
            SortedMap<String, Attr> attrs,
            Region body) {
        this(op, name, inputs, outputs, attrs, body, List.of());
    }

    /**
     * A control-flow node ({@code if}, {@code loop}, {@code scan}; see {@link ControlFlow}) owning
     * {@code regions}: nested graphs whose parameters and results the op defines.
     */
    public static Node withRegions(
            String op,
            String name,
            List<Value> inputs,
            List<Value> outputs,
            Map<String, Attr> attrs,
            List<Region> regions) {
        return new Node(op, name, inputs, outputs, new TreeMap<>(attrs), null, regions);
    }

    /** Whether this node owns control-flow regions (and so is not a plain kernel call). */
    public boolean hasRegions() {
        return !regions.isEmpty();
    }

    /** This node with {@code newRegions} in place of its regions. */
    public Node withRegions(List<Region> newRegions) {
        return new Node(op, name, inputs, outputs, attrs, body, newRegions);
    }

    public Node(String op, String name, List<Value> inputs, List<Value> outputs, SortedMap<String, Attr> attrs) {
        this(op, name, inputs, outputs, attrs, null);
    }

    public Node(String op, String name, List<Value> inputs, List<Value> outputs, Map<String, Attr> attrs) {
        this(op, name, inputs, outputs, new TreeMap<>(attrs), null);
    }

    /**
     * A fused node of {@code kind} (stored as the {@code kind} attribute, next to {@code attrs})
     * running {@code body} over {@code inputs}.
     */
    public static Node fused(
            String kind, String name, List<Value> inputs, List<Value> outputs, Map<String, Attr> attrs, Region body) {
        TreeMap<String, Attr> all = new TreeMap<>(attrs);
        all.put("kind", new Attr.Str(kind));
        return new Node(FUSED, name, inputs, outputs, all, body);
    }

    public boolean isFused() {
        return body != null;
    }

    public Value input(int i) {
        return inputs.get(i);
    }

    public Value output() {
        if (outputs.size() != 1) {
            throw new IllegalStateException(op + " '" + name + "' has " + outputs.size() + " outputs, expected 1");
        }
        return outputs.get(0);
    }

    /*
     * Attribute readers. Defaults live in the op's attribute schema (fsc.ir.ops.AttrSchema), never at a
     * call site: an absent attribute reads as its declared default, and reading a name the op does not
     * declare, or one declared without a default that is absent (check has() first), is a broken
     * invariant. There are deliberately no overloads taking a default.
     */

    /** Whether the attribute is set; {@code attr} must be one the op declares. */
    public boolean has(String attr) {
        declared(attr);
        return attrs.containsKey(attr);
    }

    /** An integer attribute, its declared default when absent. */
    public long intAttr(String attr) {
        return ((Attr.Int) valueOrDefault(attr)).value();
    }

    /** A number attribute (an integer is widened), its declared default when absent. */
    public double floatAttr(String attr) {
        Attr v = valueOrDefault(attr);
        return v instanceof Attr.Int i ? i.value() : ((Attr.Float) v).value();
    }

    /** A string attribute, its declared default when absent. */
    public String strAttr(String attr) {
        return ((Attr.Str) valueOrDefault(attr)).value();
    }

    /** An element-type attribute, its declared default when absent. */
    public DType typeAttr(String attr) {
        return ((Attr.Type) valueOrDefault(attr)).value();
    }

    /** An integer-list attribute, or null when absent (such lists have no default: the op's rule decides). */
    public long[] intsAttr(String attr) {
        declared(attr);
        Attr a = attrs.get(attr);
        return a == null ? null : ((Attr.Ints) a).toArray();
    }

    /** A string-list attribute, or null when absent. */
    public List<String> strsAttr(String attr) {
        declared(attr);
        Attr a = attrs.get(attr);
        return a == null ? null : ((Attr.Strs) a).values();
    }

    /** A number-list attribute, or null when absent. */
    public List<Double> floatsAttr(String attr) {
        declared(attr);
        Attr a = attrs.get(attr);
        return a == null ? null : ((Attr.Floats) a).values();
    }

    /** A dimension-list attribute ({@code Dims} or {@code Ints}), or null when absent. */
    public List<Dim> dimsAttr(String attr) {
        declared(attr);
        Attr a = attrs.get(attr);
        if (a == null) {
            return null;
        }
        if (a instanceof Attr.Ints ints) {
            return ints.values().stream().map(Dim::of).toList();
        }
        return ((Attr.Dims) a).values();
    }

    /** The kind of a fused node, e.g. {@code "elementwise"} or {@code "matmul_bias_gelu"}. */
    public String fusedKind() {
        if (!isFused()) {
            throw new IllegalStateException(where() + " is not a fused node");
        }
        return ((Attr.Str) attrs.get("kind")).value();
    }

    private Attr valueOrDefault(String attr) {
        Attr a = attrs.get(attr);
        if (a != null) {
            declared(attr);
            return a;
        }
        return Ops.defaultAttr(op, attr);
    }

    /** Fails when a registered op does not declare {@code attr} (a fused node's attributes are its own). */
    private void declared(String attr) {
        if (!isFused()) {
            Ops.declared(op, attr);
        }
    }

    /** Human-readable location for diagnostics: {@code node '/encoder/Reshape' (reshape)}. */
    public String where() {
        return name.isEmpty() ? op : "node '" + name + "' (" + op + ")";
    }

    public Node withInputs(List<Value> newInputs) {
        return new Node(op, name, newInputs, outputs, attrs, body, regions);
    }

    public Node withAttrs(Map<String, Attr> newAttrs) {
        return new Node(op, name, inputs, outputs, new TreeMap<>(newAttrs), body, regions);
    }
}
