package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Folds an inference-mode {@code batch_norm} into the {@code conv} that feeds it, so the network runs
 * one convolution instead of a convolution and a per-channel pass over its output (the folding every
 * inference engine does; ONNX Runtime's {@code ConvBNFusion}). With {@code s[m] = scale[m] /
 * sqrt(var[m] + eps)}:
 *
 * <pre>
 * %c: f32[1,8,5,5] = conv(%x, %w, %b) {...}             %w_bn: f32[8,3,3,3] = const   // w[m,...] * s[m]
 * %y: f32[1,8,5,5] = batch_norm(%c, %g, %be, %mu, %v)  ⇒  %b_bn: f32[8] = const      // (b[m] - mu[m]) * s[m] + be[m]
 *                                                       %y: f32[1,8,5,5] = conv(%x, %w_bn, %b_bn) {...}
 * </pre>
 *
 * <p>It folds only when nothing else can see the difference: the conv's output has the batch norm
 * as its one reader and is not a graph output, and the weights, the optional conv bias and all four
 * batch-norm parameters are constant f32 tensors of fixed shape ({@code [M]} for the per-channel
 * ones). {@code s} and the new bias are computed in double and rounded once. A weight still read
 * elsewhere stays beside the folded copy; one read only by folded convs is dropped.
 */
@PassInfo(name = "fold-batch-norm", summary = "fold inference batch_norm into the preceding conv's weights and bias")
public final class FoldBatchNormPass implements Pass {
    @Override
    public Graph run(Graph g, PassContext ctx) {
        Map<Value, Constant> constants = new IdentityHashMap<>();
        for (Constant c : g.constants()) {
            constants.put(c.value(), c);
        }
        Map<Value, List<Node>> readers = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            for (Value in : n.inputs()) {
                readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        Map<Value, Node> producers = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            n.outputs().forEach(v -> producers.put(v, n));
        }
        Set<Value> outputs = Substitution.identitySet(g.outputs());
        Set<Value> touched = Substitution.identitySet(List.of());
        Map<Node, Node> foldedConv = new IdentityHashMap<>(); // batch_norm -> its replacement conv
        Set<Node> removedConvs = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node bn : g.nodes()) {
            if (!bn.op().equals("batch_norm") || bn.isFused()) {
                continue;
            }
            Value c = bn.input(0);
            List<Node> r = readers.getOrDefault(c, List.of());
            if (r.size() != 1 || outputs.contains(c)) {
                continue;
            }
            Node conv = producers.get(c);
            if (conv != null && foldable(conv, bn, constants)) {
                foldedConv.put(bn, conv);
                removedConvs.add(conv);
                touched.addAll(conv.inputs().subList(1, conv.inputs().size()));
                touched.addAll(bn.inputs().subList(1, 5));
            }
        }
        if (foldedConv.isEmpty()) {
            return g;
        }
        Set<String> names = new HashSet<>(g.weights().byName().keySet());
        g.inputs().forEach(v -> names.add(v.name()));
        g.constants().forEach(c -> names.add(c.value().name()));
        g.nodes().forEach(n -> n.outputs().forEach(v -> names.add(v.name())));
        TreeMap<String, WeightData> newWeights = new TreeMap<>();
        List<Constant> newConstants = new ArrayList<>();
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (removedConvs.contains(n)) {
                continue; // emitted in the batch norm's place, which its inputs also precede
            }
            Node conv = foldedConv.get(n);
            if (conv == null) {
                nodes.add(n);
                continue;
            }
            Folded f = fold(g, conv, n, constants);
            Value w = conv.input(1);
            Value wv = new Value(UniqueNames.unique(names, w.name() + "_bn"), w.type());
            Value bv = new Value(
                    UniqueNames.unique(
                            names,
                            (conv.inputs().size() > 2
                                            ? conv.input(2).name()
                                            : conv.output().name()) + "_bn"),
                    TensorType.of(DType.F32, f.bias.length));
            String wName = UniqueNames.unique(names, constants.get(w).weight() + ".bn");
            String bName = UniqueNames.unique(names, wName + ".bias");
            newWeights.put(
                    wName,
                    f32(w.type().dims().stream().mapToLong(d -> d.value()).toArray(), f.weight));
            newWeights.put(bName, f32(new long[] {f.bias.length}, f.bias));
            newConstants.add(new Constant(wv, wName));
            newConstants.add(new Constant(bv, bName));
            nodes.add(new Node(
                    conv.op(), conv.name(), List.of(conv.input(0), wv, bv), List.of(n.output()), conv.attrs()));
        }
        ctx.note("folded " + foldedConv.size() + " batch_norm nodes into their convs");
        return rebuild(g, nodes, newConstants, newWeights, touched);
    }

    private static boolean foldable(Node conv, Node bn, Map<Value, Constant> constants) {
        if (!conv.op().equals("conv") || conv.isFused() || conv.outputs().size() != 1) {
            return false;
        }
        Value w = conv.input(1);
        if (!isF32Constant(w, constants) || w.type().rank() < 3) {
            return false;
        }
        long m = w.type().dim(0).value();
        if (conv.inputs().size() > 2 && !isVector(conv.input(2), m, constants)) {
            return false;
        }
        if (bn.inputs().size() != 5
                || conv.output().dtype() != DType.F32
                || bn.output().dtype() != DType.F32) {
            return false;
        }
        for (int i = 1; i < 5; i++) {
            if (!isVector(bn.input(i), m, constants)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isF32Constant(Value v, Map<Value, Constant> constants) {
        return constants.containsKey(v)
                && v.dtype() == DType.F32
                && v.type().isStatic()
                && v.type().isRowMajor();
    }

    private static boolean isVector(Value v, long m, Map<Value, Constant> constants) {
        return isF32Constant(v, constants)
                && v.type().rank() == 1
                && v.type().dim(0).value() == m;
    }

    private record Folded(float[] weight, float[] bias) {}

    private static Folded fold(Graph g, Node conv, Node bn, Map<Value, Constant> constants) {
        float[] w = floats(g, conv.input(1), constants);
        int m = (int) conv.input(1).type().dim(0).value();
        float[] b = conv.inputs().size() > 2 ? floats(g, conv.input(2), constants) : new float[m];
        float[] scale = floats(g, bn.input(1), constants);
        float[] beta = floats(g, bn.input(2), constants);
        float[] mean = floats(g, bn.input(3), constants);
        float[] var = floats(g, bn.input(4), constants);
        double eps = bn.floatAttr("epsilon");
        int per = w.length / m;
        float[] wOut = new float[w.length];
        float[] bOut = new float[m];
        for (int o = 0; o < m; o++) {
            double s = scale[o] / Math.sqrt(var[o] + eps);
            for (int i = 0; i < per; i++) {
                wOut[o * per + i] = (float) (w[o * per + i] * s);
            }
            bOut[o] = (float) ((b[o] - (double) mean[o]) * s + beta[o]);
        }
        return new Folded(wOut, bOut);
    }

    private static float[] floats(Graph g, Value v, Map<Value, Constant> constants) {
        WeightData d = g.weights().get(constants.get(v).weight());
        ByteBuffer b = d.view();
        float[] out = new float[Math.toIntExact(d.elementCount())];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getFloat(i * 4);
        }
        return out;
    }

    private static WeightData f32(long[] dims, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        b.flip();
        return new WeightData(DType.F32, java.util.Arrays.stream(dims).boxed().toList(), b);
    }

    /**
     * The old constants, less the folded parameters nothing reads any more (other unread constants are
     * dce's business), then the new ones; weights no constant names any more are dropped.
     */
    private static Graph rebuild(
            Graph g,
            List<Node> nodes,
            List<Constant> added,
            TreeMap<String, WeightData> newWeights,
            Set<Value> touched) {
        Set<Value> read = Substitution.identitySet(g.outputs());
        for (Node n : nodes) {
            read.addAll(n.inputs());
        }
        List<Constant> constants = new ArrayList<>();
        Set<String> keptWeights = new HashSet<>();
        Set<String> droppedWeights = new HashSet<>();
        for (Constant c : g.constants()) {
            if (read.contains(c.value()) || !touched.contains(c.value())) {
                constants.add(c);
                keptWeights.add(c.weight());
            } else {
                droppedWeights.add(c.weight());
            }
        }
        constants.addAll(added);
        TreeMap<String, WeightData> weights = new TreeMap<>(g.weights().byName());
        droppedWeights.removeAll(keptWeights);
        weights.keySet().removeAll(droppedWeights);
        weights.putAll(newWeights);
        return g.withBody(constants, nodes, g.outputs(), new Weights(weights));
    }
}
