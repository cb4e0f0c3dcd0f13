package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ONNX ops that need no IR op of their own: each is spelled with existing IR ops at import, using
 * the operand types that import already knows (Flatten is a reshape to a shape computed here, Size a
 * constant, CastLike a cast, Sum/Mean chains of adds). Also Pow over mixed element types and the
 * statistics outputs of LayerNormalization.
 */
final class DerivedConverters {
    private DerivedConverters() {}

    static void register(List<Rule> rules) {
        // Flatten-1 only took 2-D-able inputs with a non-negative axis; 11 allows negative axes.
        rules.add(new Rule("Flatten", 1, DerivedConverters::flatten));
        rules.add(new Rule("Size", 1, DerivedConverters::size));
        rules.add(new Rule("CastLike", 15, DerivedConverters::castLike));
        // Sum-8 and Mean-8 broadcast; earlier versions required equal shapes (a subset).
        rules.add(new Rule("Sum", 6, ctx -> sum(ctx, false)));
        rules.add(new Rule("Mean", 6, ctx -> sum(ctx, true)));
        // Pow-12 allowed the exponent a different element type than the base.
        rules.add(new Rule("Pow", 7, DerivedConverters::pow));
    }

    /** {@code [d0..d(axis-1)] x [d(axis)..]} as a folded reshape; axis 0 gives {@code [1, all]}. */
    private static void flatten(NodeContext ctx) {
        Value x = ctx.input(0);
        int rank = x.type().rank();
        long a = ctx.attrs.intValue("axis", 1);
        if (a < -rank || a > rank) {
            throw ctx.fail("axis " + a + " is out of range for " + x.type());
        }
        int axis = (int) (a < 0 ? a + rank : a);
        List<Dim> dims = x.type().dims();
        List<Dim> flat = List.of(Dim.product(dims.subList(0, axis)), Dim.product(dims.subList(axis, rank)));
        ctx.produce("reshape", List.of(x), Map.of("shape", new Attr.Dims(flat)));
    }

    /** The element count is known at import unless a dim is symbolic. */
    private static void size(NodeContext ctx) {
        Value x = ctx.input(0);
        Dim n = Dim.product(x.type().dims());
        if (!n.isFixed()) {
            throw ctx.fail("the element count of " + x.type() + " depends on symbolic dims; fsc needs it fixed");
        }
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n.value());
        ctx.define(0, ctx.constantNamed(ctx.outputName(0), new WeightData(DType.I64, List.of(), b.flip())));
    }

    private static void castLike(NodeContext ctx) {
        DType target = ctx.input(1).dtype();
        ctx.produce("cast", List.of(ctx.input(0)), ElementwiseConverters.castAttrs(ctx, target));
    }

    /** {@code add(add(a, b), c)}, divided by the operand count for Mean. */
    private static void sum(NodeContext ctx, boolean mean) {
        List<Value> in = ctx.inputs();
        if (in.isEmpty()) {
            throw ctx.fail("needs at least one input");
        }
        if (in.size() == 1) {
            ctx.produce("identity", in, Map.of());
            return;
        }
        Value acc = in.getFirst();
        int last = mean ? in.size() : in.size() - 1;
        for (int i = 1; i < last; i++) {
            acc = ctx.emit("add", List.of(acc, in.get(i)), Map.of(), ctx.temp("add" + i));
        }
        if (!mean) {
            ctx.produce("add", List.of(acc, in.getLast()), Map.of());
            return;
        }
        Value count = scalar(ctx, "count", acc.dtype(), in.size());
        ctx.produce("div", List.of(acc, count), Map.of());
    }

    /**
     * The result has the base's type. A float base takes the exponent cast to its type; an integer
     * base with a float exponent is raised in the exponent's type and truncated back, as ONNX's
     * reference does ({@code (x ** y).astype(x.dtype)}).
     */
    private static void pow(NodeContext ctx) {
        Value x = ctx.input(0);
        Value y = ctx.input(1);
        if (x.dtype() == y.dtype()) {
            ctx.produce("pow", List.of(x, y), Map.of());
        } else if (x.dtype().isFloat() || !y.dtype().isFloat()) {
            Value y2 = ctx.emit("cast", List.of(y), Map.of("to", new Attr.Type(x.dtype())), ctx.temp("exponent"));
            ctx.produce("pow", List.of(x, y2), Map.of());
        } else {
            Value x2 = ctx.emit("cast", List.of(x), Map.of("to", new Attr.Type(y.dtype())), ctx.temp("base"));
            Value p = ctx.emit("pow", List.of(x2, y), Map.of(), ctx.temp("pow"));
            ctx.produce("cast", List.of(p), Map.of("to", new Attr.Type(x.dtype())));
        }
    }

    /**
     * LayerNormalization's optional outputs 1 ({@code Mean}) and 2 ({@code InvStdDev}), over axes
     * {@code axis..} with kept dims, in f32 (the default {@code stash_type}).
     */
    static void layerNormStatistics(NodeContext ctx, long axis, double epsilon) {
        boolean wantMean = ctx.node.getOutputCount() > 1 && !ctx.outputName(1).isEmpty();
        boolean wantInv = ctx.node.getOutputCount() > 2 && !ctx.outputName(2).isEmpty();
        if (!wantMean && !wantInv) {
            return;
        }
        Value x = ctx.input(0);
        int rank = x.type().rank();
        int from = (int) (axis < 0 ? axis + rank : axis);
        long[] axes = new long[rank - from];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = from + i;
        }
        Map<String, Attr> reduce = Map.of("axes", Attr.ints(axes), "keepdims", new Attr.Int(1));
        if (x.dtype() != DType.F32) {
            x = ctx.emit("cast", List.of(x), Map.of("to", new Attr.Type(DType.F32)), ctx.temp("stash"));
        }
        String meanName = wantMean ? ctx.outputName(1) : ctx.temp("mean");
        Value mean = ctx.emit("reduce_mean", List.of(x), reduce, meanName);
        if (wantMean) {
            ctx.define(1, mean);
        }
        if (!wantInv) {
            return;
        }
        Value d = ctx.emit("sub", List.of(x, mean), Map.of(), ctx.temp("centered"));
        Value d2 = ctx.emit("mul", List.of(d, d), Map.of(), ctx.temp("squared"));
        Value var = ctx.emit("reduce_mean", List.of(d2), reduce, ctx.temp("variance"));
        Value eps = scalar(ctx, "epsilon", DType.F32, epsilon);
        Value ve = ctx.emit("add", List.of(var, eps), Map.of(), ctx.temp("variance_eps"));
        Value sd = ctx.emit("sqrt", List.of(ve), Map.of(), ctx.temp("std"));
        ctx.define(2, ctx.emit("reciprocal", List.of(sd), Map.of(), ctx.outputName(2)));
    }

    /** A scalar constant of {@code dtype} (f32, f64 or a cast from f32 for other types). */
    private static Value scalar(NodeContext ctx, String suffix, DType dtype, double value) {
        ByteBuffer b;
        if (dtype == DType.F64) {
            b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(value);
            return ctx.constant(suffix, new WeightData(DType.F64, List.of(), b.flip()));
        }
        b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) value);
        Value f = ctx.constant(suffix, new WeightData(DType.F32, List.of(), b.flip()));
        if (dtype == DType.F32) {
            return f;
        }
        List<Value> operand = new ArrayList<>(List.of(f));
        return ctx.emit("cast", operand, Map.of("to", new Attr.Type(dtype)), ctx.temp(suffix + "_cast"));
    }
}
