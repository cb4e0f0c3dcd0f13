package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.ops.ShapeValues;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Canonicalization and constant folding. One forward walk over the nodes; for each node, in order:
 *
 * <ol>
 *   <li><b>Identities</b> ({@link Identities}): {@code identity}, same-type {@code cast}/{@code
 *       reshape}, {@code x*1}, {@code x+0} disappear; a transpose of a transpose becomes one.
 *   <li><b>Evaluation</b> ({@link ConstantEvaluator}): a node whose operands are all constants and
 *       whose result is small (option {@value #MAX_ELEMENTS_OPTION}, default 2^20 elements, so big
 *       weights are not duplicated) runs in the reference interpreter and becomes a constant.
 *   <li><b>Shape arithmetic</b> ({@link ShapeValues}): an integer value whose contents are fully
 *       fixed ({@code shape(%x)} of a static {@code %x}) becomes a constant.
 *   <li><b>Operand forms</b> ({@link OperandForms}): reshape, expand, squeeze, unsqueeze, slice,
 *       reductions and constant_of_shape take their shape/axes operand as an attribute.
 * </ol>
 *
 * A MiniLM attention reshape, before and after (then {@code dce} drops the dead shape chain):
 *
 * <pre>
 * %s: i64[4]         = shape(%x)
 * %b: i64[]          = gather(%s, %c0) {axis = 0}
 * %b1: i64[1]        = unsqueeze(%b, %c0_1)
 * %t: i64[4]         = concat(%b1, %m1, %c12, %c32) {axis = 0}
 * %y: f32[B,S,12,32] = reshape(%x, %t)
 *   ⇒
 * %y: f32[B,S,12,32] = reshape(%x) {shape = <B, S, 12, 32>}
 * </pre>
 *
 * Values keep their identity: a node folded to a constant becomes a constant defining the same
 * value, so graph outputs keep their names. A replacement ({@code y = identity(x)} read as {@code x})
 * is never made for a graph output, whose name is part of the model's interface. Folded constants
 * are weights named {@code fold.<value name>}; unused originals are left for {@code dce}.
 */
@PassInfo(name = "fold", summary = "fold constants and shape arithmetic, move shape operands into attributes")
public final class FoldPass implements Pass {
    /** Largest result, in elements, that evaluation may turn into a new weight. */
    public static final String MAX_ELEMENTS_OPTION = "fold.max-elements";

    private static final long DEFAULT_MAX_ELEMENTS = 1L << 20;

    /** What the walk did, for the pass's one diagnostic line. */
    private static final class Counts {
        int identities;
        int evaluated;
        int shapeConstants;
        int operandForms;
        int dimValues;

        boolean any() {
            return identities + evaluated + shapeConstants + operandForms + dimValues > 0;
        }
    }

    @Override
    public Graph run(Graph g, PassContext ctx) {
        long maxElements = ctx.longOption(MAX_ELEMENTS_OPTION, DEFAULT_MAX_ELEMENTS);
        FoldState s = new FoldState(g);
        ConstantEvaluator evaluator = new ConstantEvaluator(maxElements);
        Set<Value> graphOutputs = Substitution.identitySet(g.outputs());
        Counts counts = new Counts();
        List<Node> nodes = new ArrayList<>();
        for (Node original : g.nodes()) {
            Node n = fold(s.subst.apply(original), s, evaluator, graphOutputs, counts);
            if (n != null) {
                nodes.add(n);
                s.emitted(n);
            }
        }
        nodes = materialise(nodes, s, g.outputs(), counts);
        if (!counts.any()) {
            return g;
        }
        ctx.note(counts.identities + " identities, " + counts.evaluated + " nodes evaluated, "
                + counts.shapeConstants + " shape values made constant, " + counts.operandForms
                + " operand forms folded" + (counts.dimValues > 0 ? ", " + counts.dimValues + " dim_values made" : ""));
        return s.build(nodes);
    }

    /**
     * Shape arithmetic that a kept node still reads as data, with symbolic contents, becomes one
     * {@code dim_values} node: a decoder's position ids are {@code range(P, P+S, 1)}, whose start and
     * limit come from {@code shape(past) → gather → add}; the backends run no {@code shape} ops, and
     * the sizes are known at run time from the symbols. A reverse walk from the graph outputs over live
     * nodes only, so a chain that fed only such a value, or nothing, is left as it was for {@code dce}.
     */
    private static List<Node> materialise(List<Node> nodes, FoldState s, List<Value> graphOutputs, Counts c) {
        Set<Value> used = Substitution.identitySet(graphOutputs);
        Node[] out = nodes.toArray(new Node[0]);
        for (int i = out.length - 1; i >= 0; i--) {
            Node n = out[i];
            if (n.outputs().stream().noneMatch(used::contains)) {
                continue; // dead: what it reads is not read on its account
            }
            Optional<List<Dim>> contents = n.outputs().size() == 1 ? s.known.get(n.output()) : Optional.empty();
            DType t = n.outputs().size() == 1 ? n.output().dtype() : null;
            if (contents.isPresent()
                    && !n.op().equals("dim_values")
                    && (t == DType.I64 || t == DType.I32)
                    && !WeightValues.allFixed(contents.get())) {
                SortedMap<String, Attr> attrs = new TreeMap<>();
                attrs.put("values", new Attr.Dims(contents.get()));
                attrs.put("dtype", new Attr.Type(t));
                attrs.put(
                        "shape",
                        new Attr.Ints(n.output().type().dims().stream()
                                .map(Dim::value)
                                .toList()));
                out[i] = new Node("dim_values", n.name(), List.of(), n.outputs(), attrs);
                c.dimValues++;
                continue;
            }
            used.addAll(n.inputs());
        }
        return List.of(out);
    }

    /** The node to emit in place of {@code n}, or null when its outputs are now constants or replaced. */
    private static Node fold(Node n, FoldState s, ConstantEvaluator evaluator, Set<Value> graphOutputs, Counts c) {
        Optional<Identities.Result> simpler = Identities.simplify(n, s::constantData, s::definition);
        if (simpler.isPresent()) {
            switch (simpler.get()) {
                case Identities.Result.SameAs(Value v) -> {
                    if (!graphOutputs.contains(n.output())) {
                        s.subst.replace(n.output(), v);
                        c.identities++;
                        return null;
                    }
                }
                case Identities.Result.Rewritten(Node r) -> {
                    n = r;
                    c.identities++;
                }
            }
        }
        if (evaluator.canEvaluate(n, s)) {
            List<WeightData> results = evaluator.evaluate(n, s);
            for (int i = 0; i < results.size(); i++) {
                s.makeConstant(n.outputs().get(i), results.get(i));
            }
            c.evaluated++;
            return null;
        }
        List<TensorType> types = n.outputs().stream().map(Value::type).toList();
        Optional<List<Dim>> contents = ShapeValues.evaluate(n.op(), n.inputs(), n.attrs(), types, s.known);
        if (contents.isPresent()) {
            Value out = n.outputs().getFirst();
            s.known.put(out, contents.get());
            if (WeightValues.allFixed(contents.get())) {
                List<Long> dims = out.type().dims().stream().map(Dim::value).toList();
                s.makeConstant(out, WeightValues.ofContents(out.dtype(), dims, contents.get()));
                c.shapeConstants++;
                return null;
            }
        }
        Optional<Node> folded = OperandForms.fold(n, s.known);
        if (folded.isPresent()) {
            c.operandForms++;
            return folded.get();
        }
        return n;
    }
}
