package fsc.ir.ops;

import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code slice}: operand form {@code (x, starts, ends[, axes[, steps]])} as imported from ONNX,
 * folded form {@code (x)} with attributes {@code starts}, {@code ends} (Dims), {@code axes},
 * {@code steps} (Ints).
 *
 * <p>Fixed bounds on a fixed dimension follow ONNX exactly ({@link #clamp}). Symbolic bounds are
 * assumed to lie within the dimension (the model's own shape arithmetic produced them), so
 * {@code ends = [S]} on a dimension of 512 gives {@code S}; an end of at least 2^31-1 means "to the
 * end", as exporters write it. A negative fixed bound on a symbolic dimension counts from its end
 * when no size can clamp it ({@code [-1:]} of {@code S} starts at {@code S-1}); lengths are sums
 * ({@code [P:P+S]} has length {@code S}, {@code [0:-1]} of {@code S} has {@code S-1}), and a length
 * fsc cannot prove is not negative fails.
 */
public final class SliceOp {
    private SliceOp() {}

    /** Exporters write INT_MAX or INT64_MAX for "until the end". */
    private static final long TO_END = Integer.MAX_VALUE;

    static OpDef def() {
        return new OpSpec("slice", 1, 5, SliceOp::infer)
                .attrs(AttrSpec.dims("starts"), AttrSpec.dims("ends"), AttrSpec.ints("axes"), AttrSpec.ints("steps"));
    }

    /** Where a slice of one axis starts and how many elements it takes. */
    public record Range(long start, long count) {}

    /** ONNX Slice-13 clamping of one axis of fixed size {@code dim}. */
    public static Range clamp(long dim, long start, long end, long step) {
        if (step == 0) {
            throw new IllegalArgumentException("slice step 0");
        }
        long s = start < 0 ? start + dim : start;
        long e = end < 0 ? end + dim : end;
        if (step > 0) {
            s = Math.clamp(s, 0, dim);
            e = Math.clamp(e, 0, dim);
            return new Range(s, e > s ? (e - s + step - 1) / step : 0);
        }
        s = Math.clamp(s, 0, dim - 1);
        e = Math.clamp(e, -1, dim - 1);
        return new Range(s, s > e ? (s - e + (-step) - 1) / (-step) : 0);
    }

    private static List<TensorType> infer(InferContext ctx) {
        TensorType x = ctx.input(0);
        List<Dim> starts;
        List<Dim> ends;
        long[] axes;
        long[] steps;
        if (ctx.inputCount() == 1) {
            starts = ctx.dimsAttr("starts").orElseThrow(() -> ctx.fail("the folded form needs attribute 'starts'"));
            ends = ctx.dimsAttr("ends").orElseThrow(() -> ctx.fail("the folded form needs attribute 'ends'"));
            axes = ctx.intsAttr("axes").orElse(null);
            steps = ctx.intsAttr("steps").orElse(null);
        } else {
            if (ctx.inputCount() < 3) {
                throw ctx.fail("the operand form needs starts and ends operands");
            }
            starts = ctx.requireInts(1, "starts");
            ends = ctx.requireInts(2, "ends");
            axes = ctx.inputCount() > 3 ? ctx.requireFixedInts(3, "axes") : null;
            steps = ctx.inputCount() > 4 ? ctx.requireFixedInts(4, "steps") : null;
        }
        int n = starts.size();
        if (ends.size() != n || (axes != null && axes.length != n) || (steps != null && steps.length != n)) {
            throw ctx.fail("starts, ends, axes and steps have different lengths");
        }
        List<Dim> dims = new ArrayList<>(x.dims());
        boolean[] seen = new boolean[x.rank()];
        for (int k = 0; k < n; k++) {
            int axis = ctx.axis(axes == null ? k : axes[k], x.rank());
            if (seen[axis]) {
                throw ctx.fail("axis " + axis + " is sliced twice");
            }
            seen[axis] = true;
            long step = steps == null ? 1 : steps[k];
            if (step == 0) {
                throw ctx.fail("slice step is 0");
            }
            dims.set(axis, length(ctx, x.dim(axis), starts.get(k), ends.get(k), step));
        }
        return List.of(x.withDims(dims));
    }

    private static Dim length(InferContext ctx, Dim dim, Dim start, Dim end, long step) {
        if (dim.isFixed() && start.isFixed() && end.isFixed()) {
            return Dim.of(clamp(dim.value(), start.value(), end.value(), step).count());
        }
        String what = "slice [" + start + ":" + end + ":" + step + "] of a dimension " + dim;
        // A symbolic bound must be a size-like sum (P, P+S): one that may be negative would count from the end.
        boolean negativeSymbol =
                (!start.isFixed() && !start.isNonNegative()) || (!end.isFixed() && !end.isNonNegative());
        if (step != 1 || negativeSymbol) {
            throw ctx.fail(what + " has a length that depends on run-time values in a way fsc cannot express");
        }
        Dim s;
        if (start.isFixed() && dim.isFixed()) {
            s = Dim.of(clamp(dim.value(), start.value(), dim.value(), 1).start());
        } else if (start.isFixed() && start.value() < 0) {
            // From the end of a symbolic dim, when no size of at least 1 can clamp it: [-1:] of S is S-1.
            s = dim.plus(start);
            if (!s.isNonNegative()) {
                throw ctx.fail(what + " starts before the first element for small sizes, which fsc cannot express");
            }
        } else {
            s = start;
        }
        Dim e;
        if (end.isFixed() && end.value() >= TO_END) {
            e = dim;
        } else if (end.isFixed() && dim.isFixed()) {
            long v = end.value() < 0 ? end.value() + dim.value() : end.value();
            e = Dim.of(Math.clamp(v, 0, dim.value()));
        } else if (end.isFixed() && end.value() < 0 && dim.plus(end).isNonNegative()) {
            e = dim.plus(end);
        } else if (end.isFixed()) {
            throw ctx.fail(what + ": cannot tell whether " + end + " exceeds " + dim);
        } else {
            e = end;
        }
        Dim len = e.minus(s);
        if (!len.isNonNegative()) {
            throw ctx.fail(what + " has length " + len + ", which fsc cannot prove is not negative");
        }
        return len;
    }
}
