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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * ONNX ops that move data or compute shapes. Where ONNX moved an attribute to an operand
 * (Unsqueeze/Squeeze axes at 13, Slice bounds at 10) the old form becomes the IR's folded form
 * (attributes) and the new form its operand form; the {@code fold} pass unifies them later.
 */
final class ShapeConverters {
    private ShapeConverters() {}

    static void register(List<Rule> rules) {
        // Reshape-1 took the shape as an attribute; from 5 it is an operand.
        rules.add(new Rule("Reshape", 5, ShapeConverters::reshape));
        rules.add(new Rule("Expand", 8, ctx -> ctx.produce("expand", List.of(ctx.input(0), ctx.input(1)), Map.of())));
        rules.add(new Rule("Unsqueeze", 1, ctx -> axesOp(ctx, "unsqueeze")));
        rules.add(new Rule("Squeeze", 1, ctx -> axesOp(ctx, "squeeze")));
        // Concat-1 had a default axis; from 4 it is required.
        rules.add(new Rule("Concat", 4, ShapeConverters::concat));
        rules.add(new Rule("Slice", 1, ShapeConverters::slice));
        rules.add(new Rule("Shape", 1, ShapeConverters::shape));
        rules.add(new Rule("ConstantOfShape", 9, ShapeConverters::constantOfShape));
        rules.add(new Rule("Transpose", 1, ShapeConverters::transpose));
        rules.add(new Rule("Gather", 1, ShapeConverters::gather));
    }

    private static void reshape(NodeContext ctx) {
        Map<String, Attr> attrs = new TreeMap<>();
        ctx.attrs.intValue("allowzero").ifPresent(a -> attrs.put("allowzero", new Attr.Int(a)));
        ctx.produce("reshape", List.of(ctx.input(0), ctx.input(1)), attrs);
    }

    /** Unsqueeze/Squeeze: attribute {@code axes} before opset 13, an (optional for Squeeze) operand after. */
    private static void axesOp(NodeContext ctx, String ir) {
        if (ctx.opset < 13) {
            Map<String, Attr> attrs = new TreeMap<>();
            ctx.attrs.ints("axes").ifPresent(a -> attrs.put("axes", Attr.ints(a)));
            ctx.produce(ir, List.of(ctx.input(0)), attrs);
            return;
        }
        List<Value> in = new ArrayList<>(List.of(ctx.input(0)));
        ctx.optionalInput(1).ifPresent(in::add);
        ctx.produce(ir, in, Map.of());
    }

    private static void concat(NodeContext ctx) {
        long axis = ctx.attrs.intValue("axis").orElseThrow(() -> ctx.fail("needs attribute 'axis'"));
        ctx.produce("concat", ctx.inputs(), Map.of("axis", new Attr.Int(axis)));
    }

    /**
     * Slice-1 gives {@code starts}, {@code ends}, {@code axes} as attributes (folded form); from
     * opset 10 they are operands {@code (x, starts, ends[, axes[, steps]])}. When steps are given
     * but axes are omitted, the default axes {@code [0, 1, ...]} are made a constant, since IR
     * operands are positional.
     */
    private static void slice(NodeContext ctx) {
        if (ctx.opset < 10) {
            long[] starts = ctx.attrs.ints("starts").orElseThrow(() -> ctx.fail("needs attribute 'starts'"));
            long[] ends = ctx.attrs.ints("ends").orElseThrow(() -> ctx.fail("needs attribute 'ends'"));
            Map<String, Attr> attrs = new TreeMap<>();
            attrs.put("starts", dims(starts));
            attrs.put("ends", dims(ends));
            ctx.attrs.ints("axes").ifPresent(a -> attrs.put("axes", Attr.ints(a)));
            ctx.produce("slice", List.of(ctx.input(0)), attrs);
            return;
        }
        List<Value> in = new ArrayList<>(List.of(ctx.input(0), ctx.input(1), ctx.input(2)));
        if (ctx.hasInput(3)) {
            in.add(ctx.input(3));
        } else if (ctx.hasInput(4)) {
            Value starts = in.get(1);
            if (starts.type().rank() != 1 || !starts.type().dim(0).isFixed()) {
                throw ctx.fail("starts must be a 1-D tensor of known length, got " + starts.type());
            }
            long n = starts.type().dim(0).value();
            long[] axes = new long[(int) n];
            Arrays.setAll(axes, i -> i);
            in.add(ctx.constant("axes", i64(axes)));
        }
        if (ctx.hasInput(4)) {
            in.add(ctx.input(4));
        }
        ctx.produce("slice", in, Map.of());
    }

    private static void shape(NodeContext ctx) {
        Map<String, Attr> attrs = new TreeMap<>();
        ctx.attrs.intValue("start").ifPresent(s -> attrs.put("start", new Attr.Int(s)));
        ctx.attrs.intValue("end").ifPresent(e -> attrs.put("end", new Attr.Int(e)));
        ctx.produce("shape", List.of(ctx.input(0)), attrs);
    }

    /** The fill value comes as a one-element tensor attribute; ONNX's default is float 0. */
    private static void constantOfShape(NodeContext ctx) {
        DType dtype = DType.F32;
        double value = 0;
        if (ctx.attrs.has("value")) {
            WeightData v = TensorData.toWeight(
                    ctx.attrs.tensor("value").orElseThrow(), ctx.baseDir(), ctx.where + " attribute 'value'");
            if (v.elementCount() != 1) {
                throw ctx.fail("attribute 'value' must hold one element, got " + v.type());
            }
            dtype = v.dtype();
            value = TensorData.scalar(v);
        }
        ctx.produce(
                "constant_of_shape",
                List.of(ctx.input(0)),
                Map.of("value", new Attr.Float(value), "dtype", new Attr.Type(dtype)));
    }

    /** The default permutation (reversed axes) is written out, so the IR never depends on defaults. */
    private static void transpose(NodeContext ctx) {
        Value x = ctx.input(0);
        long[] perm = ctx.attrs.ints("perm").orElseGet(() -> {
            int rank = x.type().rank();
            long[] rev = new long[rank];
            Arrays.setAll(rev, i -> rank - 1 - i);
            return rev;
        });
        ctx.produce("transpose", List.of(x), Map.of("perm", Attr.ints(perm)));
    }

    private static void gather(NodeContext ctx) {
        long axis = ctx.attrs.intValue("axis", 0);
        ctx.produce("gather", List.of(ctx.input(0), ctx.input(1)), Map.of("axis", new Attr.Int(axis)));
    }

    private static Attr dims(long[] values) {
        return new Attr.Dims(Arrays.stream(values).mapToObj(Dim::of).toList());
    }

    static WeightData i64(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return new WeightData(DType.I64, List.of((long) values.length), b.flip());
    }
}
