package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Ops that generate or rearrange along one axis, as decoders use them: range, split, trilu, tile,
 * cumsum, cumprod, argmax.
 */
final class IndexingOps {
    private IndexingOps() {}

    static List<OpDef> defs() {
        return List.of(
                OpSpec.fixed("range", 3, IndexingOps::range),
                // split: the sizes' folded operand; num_outputs has no default (needed when no sizes).
                new OpSpec("split", 1, 2, IndexingOps::split)
                        .attrs(AttrSpec.integer("axis", 0), AttrSpec.dims("split"), AttrSpec.integer("num_outputs")),
                // k: the folded diagonal offset operand.
                new OpSpec("trilu", 1, 2, IndexingOps::sameShape)
                        .attrs(AttrSpec.integer("upper", 1), AttrSpec.integer("k", 0)),
                new OpSpec("tile", 1, 2, IndexingOps::tile).attrs(AttrSpec.ints("repeats")),
                // axis: the folded axis operand of ONNX CumSum (cumprod: an attribute from the start).
                new OpSpec("cumsum", 1, 2, IndexingOps::sameShape).attrs(cumulative()),
                OpSpec.fixed("cumprod", 1, IndexingOps::sameShape).attrs(cumulative()),
                OpSpec.fixed("argmax", 1, IndexingOps::argmax)
                        .attrs(
                                AttrSpec.integer("axis", 0),
                                AttrSpec.integer("keepdims", 1),
                                AttrSpec.integer("select_last_index", 0)));
    }

    private static AttrSpec[] cumulative() {
        return new AttrSpec[] {
            AttrSpec.integer("axis", 0), AttrSpec.integer("exclusive", 0), AttrSpec.integer("reverse", 0)
        };
    }

    /**
     * {@code range(start, limit, delta)} on scalars: length {@code max(ceil((limit - start) / delta),
     * 0)}. The operands must be known; {@code range(0, S, 1)} gives {@code S}.
     */
    private static List<TensorType> range(InferContext ctx) {
        DType t = ctx.input(0).dtype();
        for (int i = 0; i < 3; i++) {
            if (ctx.input(i).rank() != 0 || ctx.input(i).dtype() != t) {
                throw ctx.fail("start, limit and delta must be scalars of one type, got " + ctx.inputs());
            }
        }
        if (!t.isInteger()) {
            throw ctx.fail("only integer ranges have a length known at compile time, got " + t.irName());
        }
        Dim start = ctx.requireInts(0, "start").getFirst();
        Dim limit = ctx.requireInts(1, "limit").getFirst();
        Dim delta = ctx.requireInts(2, "delta").getFirst();
        if (!delta.isFixed() || delta.value() == 0) {
            throw ctx.fail("delta must be a non-zero number, got " + delta);
        }
        Dim length;
        if (start.isFixed() && limit.isFixed()) {
            long span = limit.value() - start.value();
            long d = delta.value();
            length = Dim.of(Math.max(0, Math.ceilDiv(span, d)));
        } else {
            Dim span = Shapes.subtract(limit, start);
            length = span.dividedBy(delta)
                    .filter(Dim::isNonNegative)
                    .orElseThrow(() -> ctx.fail("range length (" + span + ") / " + delta
                            + " is not a whole sum of sizes fsc can prove is not negative"));
        }
        return List.of(new TensorType(t, List.of(length)));
    }

    /**
     * {@code split(x[, sizes])}: sizes from operand 1 or attribute {@code split}, else {@code
     * num_outputs} equal parts (the last one smaller when it does not divide, as ONNX Split-18).
     */
    private static List<TensorType> split(InferContext ctx) {
        TensorType x = ctx.input(0);
        int axis = ctx.axis(ctx.intAttr("axis"), x.rank());
        Dim dim = x.dim(axis);
        List<Dim> sizes = new ArrayList<>();
        if (ctx.inputCount() == 2) {
            sizes.addAll(ctx.requireInts(1, "the split sizes"));
        } else if (ctx.has("split")) {
            sizes.addAll(ctx.dimsAttr("split").orElseThrow());
        } else {
            long n = ctx.has("num_outputs") ? ctx.intAttr("num_outputs") : 0;
            if (n < 1) {
                throw ctx.fail("needs split sizes (input 1 or attribute 'split') or attribute 'num_outputs'");
            }
            if (dim.isFixed()) {
                long part = Math.ceilDiv(dim.value(), n);
                for (long i = 0; i < n; i++) {
                    sizes.add(Dim.of(Math.max(0, Math.min(part, dim.value() - i * part))));
                }
            } else {
                Dim part = dim.dividedBy(Dim.of(n))
                        .orElseThrow(() -> ctx.fail("cannot split " + dim + " into " + n + " equal parts"));
                for (long i = 0; i < n; i++) {
                    sizes.add(part);
                }
            }
        }
        Dim total = Dim.of(0);
        for (Dim s : sizes) {
            total = Shapes.add(total, s);
        }
        if (!total.equals(dim)) {
            throw ctx.fail("split sizes " + Shapes.show(sizes) + " add up to " + total + ", not " + dim);
        }
        List<TensorType> outs = new ArrayList<>();
        for (Dim s : sizes) {
            List<Dim> dims = new ArrayList<>(x.dims());
            dims.set(axis, s);
            outs.add(x.withDims(dims));
        }
        return outs;
    }

    private static List<TensorType> sameShape(InferContext ctx) {
        if (ctx.op().equals("trilu") && ctx.input(0).rank() < 2) {
            throw ctx.fail("needs at least 2 dimensions, got " + ctx.input(0));
        }
        return List.of(ctx.input(0));
    }

    /** {@code tile(x[, repeats])}: each dimension times its repeat count (operand 1 or attribute {@code repeats}). */
    private static List<TensorType> tile(InferContext ctx) {
        TensorType x = ctx.input(0);
        long[] repeats = ctx.inputCount() == 2
                ? ctx.requireFixedInts(1, "the repeats")
                : ctx.intsAttr("repeats").orElseThrow(() -> ctx.fail("the folded form needs attribute 'repeats'"));
        if (repeats.length != x.rank()) {
            throw ctx.fail("needs one repeat count per dimension of " + x + ", got " + repeats.length);
        }
        List<Dim> dims = new ArrayList<>();
        for (int i = 0; i < repeats.length; i++) {
            if (repeats[i] < 0) {
                throw ctx.fail("negative repeat count " + repeats[i]);
            }
            dims.add(Shapes.multiply(x.dim(i), Dim.of(repeats[i])));
        }
        return List.of(x.withDims(dims));
    }

    private static List<TensorType> argmax(InferContext ctx) {
        TensorType x = ctx.input(0);
        int axis = ctx.axis(ctx.intAttr("axis"), x.rank());
        boolean keep = ctx.intAttr("keepdims") != 0;
        List<Dim> dims = new ArrayList<>(x.dims());
        if (keep) {
            dims.set(axis, Dim.of(1));
        } else {
            dims.remove(axis);
        }
        return List.of(new TensorType(DType.I64, dims));
    }
}
