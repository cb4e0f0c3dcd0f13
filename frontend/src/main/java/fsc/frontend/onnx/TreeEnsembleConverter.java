package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.interp.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ONNX-ML TreeEnsemble (opset 5) onto IR {@code tree_ensemble}: the per-node attribute arrays become
 * the op's constant tables (layout in {@code fsc.ir.ops.TreeOps}), leaves encoded as negative children
 * so the walk needs no leaf flags, and each BRANCH_MEMBER node gets its NaN-delimited set of
 * {@code membership_values} in node order, as the spec assigns them. Every tree is checked here to
 * reach leaves without cycles and every index to be in range, so the run-time walk cannot loop or
 * read outside its tables. post_transform SOFTMAX and LOGISTIC follow as IR ops; SOFTMAX_ZERO and
 * PROBIT are refused.
 */
final class TreeEnsembleConverter {
    private TreeEnsembleConverter() {}

    static void register(List<OnnxOps.Rule> rules) {
        rules.add(new OnnxOps.Rule(MlConverters.ML_DOMAIN, "TreeEnsemble", 5, TreeEnsembleConverter::convert));
    }

    private static final int MEMBER = 6;

    private static void convert(NodeContext c) {
        Value x = c.input(0);
        if (x.type().rank() != 2 || !x.dtype().isFloat()) {
            throw c.fail("needs float X [N, F], got " + x.type());
        }
        double[] splits = doubles(c, "nodes_splits", true);
        long[] modes = longs(c, tensor(c, "nodes_modes", true));
        long[] features = required(c, "nodes_featureids");
        long[] trueIds = required(c, "nodes_truenodeids");
        long[] falseIds = required(c, "nodes_falsenodeids");
        long[] trueLeaf = required(c, "nodes_trueleafs");
        long[] falseLeaf = required(c, "nodes_falseleafs");
        long[] leafTargets = required(c, "leaf_targetids");
        double[] leafWeights = doubles(c, "leaf_weights", true);
        long[] roots = required(c, "tree_roots");
        long[] missing = c.attrs.ints("nodes_missing_value_tracks_true").orElse(new long[features.length]);
        double[] memberValues = doubles(c, "membership_values", false);
        long targets = c.attrs.intValue("n_targets").orElseThrow(() -> c.fail("needs attribute 'n_targets'"));
        int nn = features.length;
        for (long[] a : List.of(modes, trueIds, falseIds, trueLeaf, falseLeaf, missing)) {
            if (a.length != nn) {
                throw c.fail("the nodes_* attributes must all have " + nn + " entries");
            }
        }
        if (splits.length != nn || leafWeights.length != leafTargets.length || roots.length == 0 || targets < 1) {
            throw c.fail(
                    "nodes_splits needs " + nn + " entries, leaf_weights one per leaf_targetids, tree_roots at least"
                            + " one and n_targets to be positive");
        }
        Dim f = x.type().dim(1);
        long[] table = new long[nn * 7];
        List<Double> members = new ArrayList<>();
        int nextMember = 0;
        for (int i = 0; i < nn; i++) {
            if (modes[i] < 0 || modes[i] > MEMBER) {
                throw c.fail("node " + i + " has mode " + modes[i] + "; ONNX defines 0 to 6");
            }
            if (features[i] < 0 || f.isFixed() && features[i] >= f.value()) {
                throw c.fail("node " + i + " tests feature " + features[i] + " of X " + x.type());
            }
            table[i * 7] = features[i];
            table[i * 7 + 1] = modes[i];
            table[i * 7 + 2] = child(c, i, trueIds[i], trueLeaf[i], nn, leafTargets.length);
            table[i * 7 + 3] = child(c, i, falseIds[i], falseLeaf[i], nn, leafTargets.length);
            table[i * 7 + 4] = missing[i] != 0 ? 1 : 0;
            if (modes[i] == MEMBER) {
                table[i * 7 + 5] = members.size();
                while (nextMember < memberValues.length && !Double.isNaN(memberValues[nextMember])) {
                    members.add(memberValues[nextMember++]);
                }
                if (nextMember >= memberValues.length && table[i * 7 + 5] == members.size()) {
                    throw c.fail("membership_values has no set for BRANCH_MEMBER node " + i);
                }
                nextMember++;
                table[i * 7 + 6] = members.size() - table[i * 7 + 5];
            }
        }
        for (long t : leafTargets) {
            if (t < 0 || t >= targets) {
                throw c.fail("leaf target " + t + " is outside n_targets " + targets);
            }
        }
        long[] rootCodes = new long[roots.length];
        for (int t = 0; t < roots.length; t++) {
            long r = roots[t];
            if (r < 0 || r >= nn) {
                throw c.fail("tree root " + r + " is no node");
            }
            // A tree that is a single leaf: both branches name the same leaf (ONNX's degenerate form).
            boolean leafOnly =
                    trueLeaf[(int) r] != 0 && falseLeaf[(int) r] != 0 && trueIds[(int) r] == falseIds[(int) r];
            if (leafOnly && r >= leafWeights.length) {
                throw c.fail("tree root " + r + " is a leaf-only tree but there is no leaf " + r);
            }
            rootCodes[t] = leafOnly ? -r - 1 : r;
            checkAcyclic(c, table, rootCodes[t], nn);
        }
        List<Value> in = new ArrayList<>();
        in.add(x);
        in.add(c.constant("nodes", longsWeight(List.of((long) nn, 7L), table)));
        in.add(c.constant("splits", doublesWeight(splits)));
        double[] m = members.isEmpty()
                ? new double[] {Double.NaN}
                : members.stream().mapToDouble(Double::doubleValue).toArray();
        in.add(c.constant("members", doublesWeight(m)));
        in.add(c.constant("leaf_targets", longsWeight(List.of((long) leafTargets.length), leafTargets)));
        in.add(c.constant("leaf_weights", doublesWeight(leafWeights)));
        in.add(c.constant("roots", longsWeight(List.of((long) roots.length), rootCodes)));
        String aggregate =
                switch ((int) c.attrs.intValue("aggregate_function", 1)) {
                    case 0 -> "average";
                    case 1 -> "sum";
                    case 2 -> "min";
                    case 3 -> "max";
                    default ->
                        throw c.fail(
                                "aggregate_function must be 0 to 3, got " + c.attrs.intValue("aggregate_function", 1));
                };
        Map<String, Attr> attrs =
                Map.of("aggregate_function", new Attr.Str(aggregate), "n_targets", new Attr.Int(targets));
        long post = c.attrs.intValue("post_transform", 0);
        switch ((int) post) {
            case 0 -> c.produce("tree_ensemble", in, attrs);
            case 1 ->
                c.produce(
                        "softmax",
                        List.of(c.emit("tree_ensemble", in, attrs, c.temp("scores"))),
                        Map.of("axis", new Attr.Int(-1)));
            case 2 -> c.produce("sigmoid", List.of(c.emit("tree_ensemble", in, attrs, c.temp("scores"))), Map.of());
            default -> throw c.fail("post_transform " + post + " (SOFTMAX_ZERO or PROBIT) is not supported");
        }
    }

    private static long child(NodeContext c, int i, long id, long isLeaf, int nodes, int leaves) {
        if (isLeaf != 0) {
            if (id < 0 || id >= leaves) {
                throw c.fail("node " + i + " names leaf " + id + " of " + leaves);
            }
            return -id - 1;
        }
        if (id < 0 || id >= nodes) {
            throw c.fail("node " + i + " names node " + id + " of " + nodes);
        }
        return id;
    }

    /** Fails when the tree from {@code root} can revisit a node (a walk would never reach a leaf). */
    private static void checkAcyclic(NodeContext c, long[] table, long root, int nn) {
        byte[] state = new byte[nn]; // 0 unseen, 1 on the current path, 2 done
        visit(c, table, root, state, 0);
    }

    private static void visit(NodeContext c, long[] table, long node, byte[] state, int depth) {
        if (node < 0) {
            return;
        }
        int i = (int) node;
        if (state[i] == 1 || depth > state.length) {
            throw c.fail("the trees loop back to node " + i + "; a walk would never reach a leaf");
        }
        if (state[i] == 2) {
            return;
        }
        state[i] = 1;
        visit(c, table, table[i * 7 + 2], state, depth + 1);
        visit(c, table, table[i * 7 + 3], state, depth + 1);
        state[i] = 2;
    }

    private static long[] required(NodeContext c, String name) {
        return c.attrs.ints(name).orElseThrow(() -> c.fail("needs attribute '" + name + "'"));
    }

    private static HostTensor tensor(NodeContext c, String name, boolean required) {
        TensorProto t = c.attrs.tensor(name).orElse(null);
        if (t == null) {
            if (required) {
                throw c.fail("needs tensor attribute '" + name + "'");
            }
            return null;
        }
        return HostTensor.fromWeight(TensorData.toWeight(t, c.baseDir(), c.where + ": attribute '" + name + "'"));
    }

    private static double[] doubles(NodeContext c, String name, boolean required) {
        HostTensor t = tensor(c, name, required);
        double[] v = new double[t == null ? 0 : t.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = t.getDouble(i);
        }
        return v;
    }

    private static long[] longs(NodeContext c, HostTensor t) {
        long[] v = new long[t.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = t.getLong(i);
        }
        return v;
    }

    private static WeightData longsWeight(List<Long> shape, long[] v) {
        return HostTensor.ofLongs(shape.stream().mapToLong(Long::longValue).toArray(), v)
                .toWeight();
    }

    private static WeightData doublesWeight(double[] v) {
        HostTensor t = HostTensor.zeros(DType.F64, new long[] {v.length});
        for (int i = 0; i < v.length; i++) {
            t.setDouble(i, v[i]);
        }
        return t.toWeight();
    }
}
