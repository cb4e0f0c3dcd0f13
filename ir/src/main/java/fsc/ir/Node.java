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

    public boolean has(String attr) {
        return attrs.containsKey(attr);
    }

    /**
     * An integer attribute, or {@code dflt} when absent. For an op with an attribute schema ({@link
     * Ops#defaultAttr}), {@code dflt} must be the declared default; prefer {@link #intAttr(String)}.
     */
    public long intAttr(String attr, long dflt) {
        Attr a = attrs.get(attr);
        if (a == null) {
            Ops.checkReaderDefault(op, attr, new Attr.Int(dflt));
            return dflt;
        }
        return ((Attr.Int) a).value();
    }

    /** An integer attribute of an op on the attribute schema, its declared default when absent. */
    public long intAttr(String attr) {
        Attr a = attrs.get(attr);
        return ((Attr.Int) (a == null ? Ops.defaultAttr(op, attr) : a)).value();
    }

    /** A number attribute, or {@code dflt} when absent; see {@link #intAttr(String, long)} for schema ops. */
    public double floatAttr(String attr, double dflt) {
        Attr a = attrs.get(attr);
        if (a == null) {
            Ops.checkReaderDefault(op, attr, new Attr.Float(dflt));
            return dflt;
        }
        return a instanceof Attr.Int i ? i.value() : ((Attr.Float) a).value();
    }

    /** A number attribute of an op on the attribute schema, its declared default when absent. */
    public double floatAttr(String attr) {
        Attr a = attrs.get(attr);
        Attr v = a == null ? Ops.defaultAttr(op, attr) : a;
        return v instanceof Attr.Int i ? i.value() : ((Attr.Float) v).value();
    }

    public String strAttr(String attr, String dflt) {
        Attr a = attrs.get(attr);
        return a == null ? dflt : ((Attr.Str) a).value();
    }

    public long[] intsAttr(String attr) {
        Attr a = attrs.get(attr);
        return a == null ? null : ((Attr.Ints) a).toArray();
    }

    public List<Dim> dimsAttr(String attr) {
        Attr a = attrs.get(attr);
        if (a == null) {
            return null;
        }
        if (a instanceof Attr.Ints ints) {
            return ints.values().stream().map(Dim::of).toList();
        }
        return ((Attr.Dims) a).values();
    }

    public DType typeAttr(String attr, DType dflt) {
        Attr a = attrs.get(attr);
        return a == null ? dflt : ((Attr.Type) a).value();
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
