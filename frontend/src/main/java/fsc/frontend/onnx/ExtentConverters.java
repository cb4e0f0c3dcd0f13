package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.ops.ExtentOps;
import fsc.ir.ops.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * NonZero, Unique and NonMaxSuppression: one output dimension is known only when the node runs. Each
 * gets a fresh graph symbol (its {@code extent}) bounded by the most the op can return: NonZero and
 * Unique the element count, NonMaxSuppression batches × classes × boxes (each class keeps at most
 * every box). The memory plan sizes the output at that bound; the node sets the symbol at run time.
 */
final class ExtentConverters {
    private ExtentConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("NonZero", 9, c -> {
            Value x = c.input(0);
            String extent = extent(c, x.type().elementCount());
            emit(c, "nonzero", List.of(x), Map.of(ExtentOps.EXTENT, new Attr.Str(extent)));
        }));
        rules.add(new Rule("Unique", 11, c -> {
            Value x = c.input(0);
            TreeMap<String, Attr> attrs = new TreeMap<>();
            Dim n = x.type().elementCount();
            if (c.attrs.has("axis")) {
                long axis = c.attrs.intValue("axis", 0);
                attrs.put("axis", new Attr.Int(axis));
                n = x.type().dim((int) (axis < 0 ? axis + x.type().rank() : axis));
            }
            attrs.put("sorted", new Attr.Int(c.attrs.intValue("sorted", 1)));
            attrs.put(ExtentOps.EXTENT, new Attr.Str(extent(c, n)));
            emit(c, "unique", List.of(x), attrs);
        }));
        rules.add(new Rule("NonMaxSuppression", 10, c -> {
            List<Value> in = new ArrayList<>(List.of(c.input(0), c.input(1)));
            for (int i = 2; i < 5 && c.hasInput(i); i++) {
                in.add(c.input(i));
            }
            TensorType scores = c.input(1).type();
            if (scores.rank() != 3) {
                throw c.fail("scores must be [batch, classes, boxes], got " + scores);
            }
            String extent = extent(c, Dim.product(scores.dims()));
            Map<String, Attr> attrs = Map.of(
                    ExtentOps.EXTENT,
                    new Attr.Str(extent),
                    "center_point_box",
                    new Attr.Int(c.attrs.intValue("center_point_box", 0)));
            emit(c, "non_max_suppression", in, attrs);
        }));
    }

    /** A fresh symbol named after the node's first output, declared with {@code bound}'s upper bound. */
    private static String extent(NodeContext c, Dim bound) {
        ImportScope scope = c.scope();
        if (scope.parent() != null) {
            throw c.fail("an output sized by the data inside a control-flow body is not supported yet");
        }
        SortedMap<String, Long> symbols = scope.builder.symbols();
        StringBuilder base = new StringBuilder("n_");
        for (char ch : c.outputName(0).toCharArray()) {
            base.append(Character.isLetterOrDigit(ch) ? ch : '_');
        }
        String name = base.toString();
        for (int k = 2; symbols.containsKey(name); k++) {
            name = base + "_" + k;
        }
        long max = Math.max(1, bound.upperBound(symbols));
        scope.builder.symbol(name, max);
        return name;
    }

    /** The node, with only the outputs the ONNX node names defined (Unique's last three are optional). */
    private static void emit(NodeContext c, String op, List<Value> in, Map<String, Attr> attrs) {
        TreeMap<String, Attr> sorted = new TreeMap<>(attrs);
        List<TensorType> types =
                Ops.infer(op, c.where, in, sorted, c.scope().builder.known());
        List<Value> outs = new ArrayList<>();
        for (int k = 0; k < types.size(); k++) {
            boolean named = k < c.node.getOutputCount() && !c.outputName(k).isEmpty();
            outs.add(new Value(named ? c.outputName(k) : c.temp("unused" + k), types.get(k)));
        }
        c.scope().builder.add(new Node(op, c.node.getName(), in, outs, sorted));
        for (int k = 0; k < c.node.getOutputCount(); k++) {
            if (!c.outputName(k).isEmpty()) {
                c.define(k, outs.get(k));
            }
        }
    }
}
