package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.List;
import java.util.Set;

/**
 * {@code tree_ensemble(x[N, F], nodes[Nn, 7], splits[Nn], members[M], leaf_targets[L],
 * leaf_weights[L], roots[T])} → {@code [N, n_targets]} of x's type: ONNX-ML TreeEnsemble-5 with its
 * trees flattened at import into tables (constants in practice). Row {@code i} of {@code nodes} is an
 * interior node: {@code (feature, mode, true child, false child, missing goes true, first member,
 * member count)}; a child (or a root) {@code c ≥ 0} is interior node c and {@code c < 0} is leaf
 * {@code -c - 1}. Modes are ONNX's (0 ≤, 1 <, 2 ≥, 3 >, 4 ==, 5 !=, 6 member of
 * {@code members[first .. first+count)}); a NaN feature goes to the true child when the node says so,
 * else compares as NaN does. Each tree's leaf adds its weight to output column {@code leaf_targets}
 * under {@code aggregate_function} ({@code "sum"}, {@code "average"} (sum / T), {@code "min"},
 * {@code "max"}). Comparisons and sums are in f64.
 */
final class TreeOps {
    private TreeOps() {}

    static final Set<String> AGGREGATES = Set.of("sum", "average", "min", "max");

    static List<OpDef> defs() {
        return List.of(OpSpec.fixed("tree_ensemble", 7, TreeOps::treeEnsemble)
                .attrs(AttrSpec.string("aggregate_function", "sum"), AttrSpec.integer("n_targets")));
    }

    private static List<TensorType> treeEnsemble(InferContext ctx) {
        TensorType x = ctx.input(0);
        if (x.rank() != 2 || !x.dtype().isFloat()) {
            throw ctx.fail("needs float x [N, F], got " + x);
        }
        TensorType nodes = ctx.input(1);
        if (nodes.dtype() != DType.I64 || nodes.rank() != 2 || !nodes.dim(1).equals(Dim.of(7))) {
            throw ctx.fail("nodes must be i64 [Nn, 7], got " + nodes);
        }
        check(ctx, 2, DType.F64, nodes.dim(0), "splits");
        check(ctx, 3, DType.F64, null, "members");
        check(ctx, 4, DType.I64, null, "leaf_targets");
        check(ctx, 5, DType.F64, ctx.input(4).dim(0), "leaf_weights");
        check(ctx, 6, DType.I64, null, "roots");
        if (!ctx.has("n_targets") || ctx.intAttr("n_targets") < 1) {
            throw ctx.fail("needs a positive n_targets");
        }
        String agg = ctx.strAttr("aggregate_function");
        if (!AGGREGATES.contains(agg)) {
            throw ctx.fail("aggregate_function must be one of " + AGGREGATES + ", got \"" + agg + "\"");
        }
        return List.of(x.withDims(List.of(x.dim(0), Dim.of(ctx.intAttr("n_targets")))));
    }

    private static void check(InferContext ctx, int i, DType t, Dim length, String role) {
        TensorType v = ctx.input(i);
        if (v.dtype() != t || v.rank() != 1 || (length != null && !v.dim(0).equals(length))) {
            throw ctx.fail(role + " must be " + t.irName() + " [" + (length == null ? "n" : length) + "], got " + v);
        }
    }
}
