package fsc.ir;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One operation. {@code op} names an {@link fsc.ir.ops.OpDef} in {@link fsc.ir.ops.Ops}; attributes
 * are kept sorted by name so printing is deterministic; {@code name} is provenance (e.g. the ONNX
 * node name) and may be empty.
 */
public record Node(String op, String name, List<Value> inputs, List<Value> outputs, SortedMap<String, Attr> attrs) {

    public Node {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attrs = Collections.unmodifiableSortedMap(new TreeMap<>(attrs));
    }

    public Node(String op, String name, List<Value> inputs, List<Value> outputs, Map<String, Attr> attrs) {
        this(op, name, inputs, outputs, new TreeMap<>(attrs));
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

    public long intAttr(String attr, long dflt) {
        Attr a = attrs.get(attr);
        return a == null ? dflt : ((Attr.Int) a).value();
    }

    public double floatAttr(String attr, double dflt) {
        Attr a = attrs.get(attr);
        if (a == null) {
            return dflt;
        }
        return a instanceof Attr.Int i ? i.value() : ((Attr.Float) a).value();
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
        return new Node(op, name, newInputs, outputs, attrs);
    }

    public Node withAttrs(Map<String, Attr> newAttrs) {
        return new Node(op, name, inputs, outputs, new TreeMap<>(newAttrs));
    }
}
