package fsc.ir.ops;

import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reductions ({@code reduce_*}), softmax, log_softmax and layer_norm. */
final class ReduceOps {
    private ReduceOps() {}

    static final List<String> REDUCTIONS =
            List.of("reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_l2");

    private static final AttrSpec[] NORM = {AttrSpec.integer("axis", -1), AttrSpec.number("epsilon", 1e-5)};

    static List<OpDef> defs() {
        List<OpDef> defs = new ArrayList<>();
        for (String op : REDUCTIONS) {
            // axes: the attribute form (before opset 18 the ONNX attribute; after fold, a folded operand);
            // absent means every axis unless noop_with_empty_axes.
            defs.add(new OpSpec(op, 1, 2, ReduceOps::reduce)
                    .attrs(
                            AttrSpec.ints("axes"),
                            AttrSpec.integer("keepdims", 1),
                            AttrSpec.integer("noop_with_empty_axes", 0)));
        }
        defs.add(OpSpec.fixed("softmax", 1, ReduceOps::softmax).attrs(AttrSpec.integer("axis", -1)));
        defs.add(OpSpec.fixed("log_softmax", 1, ReduceOps::softmax).attrs(AttrSpec.integer("axis", -1)));
        // axis: the first normalised axis (the normalised shape is x's dims from it on).
        defs.add(new OpSpec("layer_norm", 2, 3, ReduceOps::layerNorm).attrs(NORM));
        defs.add(OpSpec.fixed("rms_norm", 2, ReduceOps::layerNorm).attrs(NORM));
        return defs;
    }

    /**
     * Which axes a reduction removes (operand 1 or attribute {@code axes}); empty axes reduce
     * everything unless {@code noop_with_empty_axes} is set, in which case nothing is reduced.
     */
    static boolean[] reducedAxes(InferContext ctx, long[] axes, int rank) {
        boolean[] reduced = new boolean[rank];
        if (axes == null || axes.length == 0) {
            if (ctx.intAttr("noop_with_empty_axes") == 0) {
                Arrays.fill(reduced, true);
            }
            return reduced;
        }
        for (long a : axes) {
            reduced[ctx.axis(a, rank)] = true;
        }
        return reduced;
    }

    private static List<TensorType> reduce(InferContext ctx) {
        TensorType x = ctx.input(0);
        long[] axes = ctx.inputCount() == 2
                ? ctx.requireFixedInts(1, "the axes")
                : ctx.intsAttr("axes").orElse(null);
        boolean[] reduced = reducedAxes(ctx, axes, x.rank());
        boolean keep = ctx.intAttr("keepdims") != 0;
        List<Dim> dims = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) {
            if (!reduced[i]) {
                dims.add(x.dim(i));
            } else if (keep) {
                dims.add(Dim.of(1));
            }
        }
        return List.of(x.withDims(dims));
    }

    private static List<TensorType> softmax(InferContext ctx) {
        TensorType x = ctx.input(0);
        if (!x.dtype().isFloat()) {
            throw ctx.fail("needs a floating-point input, got " + x);
        }
        ctx.axis(ctx.intAttr("axis"), x.rank());
        return List.of(x);
    }

    private static List<TensorType> layerNorm(InferContext ctx) {
        TensorType x = ctx.input(0);
        if (!x.dtype().isFloat()) {
            throw ctx.fail("needs a floating-point input, got " + x);
        }
        int axis = ctx.axis(ctx.intAttr("axis"), x.rank());
        List<Dim> normalized = x.dims().subList(axis, x.rank());
        for (int i = 1; i < ctx.inputCount(); i++) {
            TensorType p = ctx.input(i);
            if (p.dtype() != x.dtype() || !Shapes.broadcastsTo(p.dims(), normalized)) {
                throw ctx.fail((i == 1 ? "scale " : "bias ") + p + " does not match the normalized shape "
                        + Shapes.show(normalized));
            }
        }
        return List.of(x);
    }
}
