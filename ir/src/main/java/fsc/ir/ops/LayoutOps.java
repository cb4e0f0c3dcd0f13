package fsc.ir.ops;

import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that move or reinterpret data without computing: transpose, reshape, expand, squeeze,
 * unsqueeze, concat. Operand forms read the shape/axes operand through {@link
 * InferContext#requireInts}; folded forms read attributes.
 */
final class LayoutOps {
    private LayoutOps() {}

    static List<OpDef> defs() {
        return List.of(
                // perm: absent reverses the axes (ONNX Transpose).
                OpSpec.fixed("transpose", 1, LayoutOps::transpose).attrs(AttrSpec.ints("perm")),
                // shape: the folded target (one input); allowzero: a 0 in it is a real 0, not "copy".
                new OpSpec("reshape", 1, 2, LayoutOps::reshape)
                        .attrs(AttrSpec.dims("shape"), AttrSpec.integer("allowzero", 0)),
                new OpSpec("expand", 1, 2, LayoutOps::expand).attrs(AttrSpec.dims("shape")),
                // axes: the folded operand; squeeze without axes drops every dimension of size 1.
                new OpSpec("squeeze", 1, 2, LayoutOps::squeeze).attrs(AttrSpec.ints("axes")),
                new OpSpec("unsqueeze", 1, 2, LayoutOps::unsqueeze).attrs(AttrSpec.ints("axes")),
                // axis: required, as in ONNX Concat.
                new OpSpec("concat", 1, -1, LayoutOps::concat).attrs(AttrSpec.integer("axis")));
    }

    /** The permutation of a transpose: attribute {@code perm}, by default the reversed axes. */
    static int[] perm(InferContext ctx, int rank) {
        long[] perm = ctx.intsAttr("perm").orElseGet(() -> {
            long[] rev = new long[rank];
            for (int i = 0; i < rank; i++) {
                rev[i] = rank - 1 - i;
            }
            return rev;
        });
        if (perm.length != rank) {
            throw ctx.fail("perm " + Arrays.toString(perm) + " does not match rank " + rank);
        }
        int[] out = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int a = ctx.axis(perm[i], rank);
            if (seen[a]) {
                throw ctx.fail("perm " + Arrays.toString(perm) + " is not a permutation");
            }
            seen[a] = true;
            out[i] = a;
        }
        return out;
    }

    private static List<TensorType> transpose(InferContext ctx) {
        TensorType x = ctx.input(0);
        int[] perm = perm(ctx, x.rank());
        List<Dim> dims = new ArrayList<>();
        for (int p : perm) {
            dims.add(x.dim(p));
        }
        return List.of(x.withDims(dims));
    }

    /** The target of reshape/expand: operand 1 in operand form, attribute {@code shape} when folded. */
    private static List<Dim> target(InferContext ctx) {
        if (ctx.inputCount() == 2) {
            return ctx.requireInts(1, "the target shape");
        }
        return ctx.dimsAttr("shape").orElseThrow(() -> ctx.fail("the folded form (one input) needs attribute 'shape'"));
    }

    private static List<TensorType> reshape(InferContext ctx) {
        TensorType x = ctx.input(0);
        List<Dim> target = target(ctx);
        boolean allowZero = ctx.intAttr("allowzero") != 0;
        List<Dim> out = new ArrayList<>();
        int inferred = -1;
        for (int i = 0; i < target.size(); i++) {
            Dim t = target.get(i);
            if (t.isFixed() && t.value() == -1) {
                if (inferred >= 0) {
                    throw ctx.fail("target shape " + Shapes.show(target) + " has more than one -1");
                }
                inferred = i;
                out.add(Dim.of(1));
            } else if (t.isFixed() && t.value() == 0 && !allowZero) {
                if (i >= x.rank()) {
                    throw ctx.fail("target shape " + Shapes.show(target) + " copies dim " + i + " of " + x);
                }
                out.add(x.dim(i));
            } else if (t.isNegative()) {
                throw ctx.fail("target shape " + Shapes.show(target) + " has a negative dimension");
            } else {
                out.add(t);
            }
        }
        Dim total = x.elementCount();
        if (inferred >= 0) {
            Dim rest = Dim.product(out);
            Dim missing = total.dividedBy(rest)
                    .orElseThrow(() -> ctx.fail("cannot infer the -1 in " + Shapes.show(target) + ": " + total
                            + " elements of " + x + " are not a multiple of " + rest));
            out.set(inferred, missing);
        } else if (!Dim.product(out).equals(total)) {
            throw ctx.fail("cannot reshape " + x + " (" + total + " elements) to " + Shapes.show(out));
        }
        return List.of(x.withDims(out));
    }

    private static List<TensorType> expand(InferContext ctx) {
        TensorType x = ctx.input(0);
        List<Dim> target = target(ctx);
        return List.of(x.withDims(ElementwiseOps.broadcast(ctx, x.dims(), target)));
    }

    /** Axes of squeeze/unsqueeze: operand 1, or attribute {@code axes}; null when neither is given. */
    private static long[] axes(InferContext ctx) {
        if (ctx.inputCount() == 2) {
            return ctx.requireFixedInts(1, "the axes");
        }
        return ctx.intsAttr("axes").orElse(null);
    }

    private static List<TensorType> squeeze(InferContext ctx) {
        TensorType x = ctx.input(0);
        long[] axes = axes(ctx);
        boolean[] drop = new boolean[x.rank()];
        if (axes == null) {
            // Without axes ONNX removes every dimension of size 1; a symbolic dimension is kept.
            for (int i = 0; i < x.rank(); i++) {
                drop[i] = Shapes.isOne(x.dim(i));
            }
        } else {
            for (long a : axes) {
                int i = ctx.axis(a, x.rank());
                if (!Shapes.isOne(x.dim(i))) {
                    throw ctx.fail("cannot squeeze axis " + a + " of " + x + ": its size is not 1");
                }
                drop[i] = true;
            }
        }
        List<Dim> dims = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) {
            if (!drop[i]) {
                dims.add(x.dim(i));
            }
        }
        return List.of(x.withDims(dims));
    }

    private static List<TensorType> unsqueeze(InferContext ctx) {
        TensorType x = ctx.input(0);
        long[] axes = axes(ctx);
        if (axes == null) {
            throw ctx.fail("needs axes (attribute 'axes' or a second input)");
        }
        int rank = x.rank() + axes.length;
        boolean[] inserted = new boolean[rank];
        for (long a : axes) {
            int i = ctx.axis(a, rank);
            if (inserted[i]) {
                throw ctx.fail("axis " + a + " appears twice in " + Arrays.toString(axes));
            }
            inserted[i] = true;
        }
        List<Dim> dims = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < rank; i++) {
            dims.add(inserted[i] ? Dim.of(1) : x.dim(next++));
        }
        return List.of(x.withDims(dims));
    }

    private static List<TensorType> concat(InferContext ctx) {
        if (!ctx.has("axis")) {
            throw ctx.fail("needs attribute 'axis'");
        }
        TensorType first = ctx.input(0);
        int axis = ctx.axis(ctx.intAttr("axis"), first.rank());
        Dim sum = Dim.of(0);
        for (int k = 0; k < ctx.inputCount(); k++) {
            TensorType t = ctx.input(k);
            boolean sameRank = t.rank() == first.rank();
            for (int i = 0; sameRank && i < t.rank(); i++) {
                sameRank = i == axis || t.dim(i).equals(first.dim(i)) || Shapes.sameWindowSize(t.dim(i), first.dim(i));
            }
            if (t.dtype() != first.dtype() || !sameRank) {
                throw ctx.fail("cannot concatenate " + first + " and " + t + " on axis " + axis);
            }
            sum = Shapes.add(sum, t.dim(axis));
        }
        List<Dim> dims = new ArrayList<>(first.dims());
        dims.set(axis, sum);
        return List.of(first.withDims(dims));
    }
}
