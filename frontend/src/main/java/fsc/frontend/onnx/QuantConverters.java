package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ONNX quantization ops. Integer products stay integers: MatMulInteger and QLinearMatMul subtract
 * the zero points in i32 and multiply with the backend's exact int32 matmul; only the requantisation
 * of QLinearMatMul's accumulator, and Quantize/DequantizeLinear themselves, compute in f32 (round half
 * to even, saturate to the target type) as ONNX specifies.
 */
final class QuantConverters {
    private QuantConverters() {}

    static void register(List<Rule> rules) {
        // Opset 13 added per-axis scales; 10 had per-tensor ones (a special case).
        rules.add(new Rule("DequantizeLinear", 10, QuantConverters::dequantize));
        rules.add(new Rule("QuantizeLinear", 10, QuantConverters::quantize));
        rules.add(new Rule("DynamicQuantizeLinear", 11, QuantConverters::dynamicQuantize));
        rules.add(new Rule("MatMulInteger", 10, QuantConverters::matmulInteger));
        rules.add(new Rule("QLinearMatMul", 10, QuantConverters::qlinearMatmul));
    }

    private static void dequantize(NodeContext c) {
        Value x = c.input(0);
        int axis = axis(c, x);
        // The output has the scale's type; a 16-bit scale is widened, the product computed in f32 and rounded back.
        DType outType = c.input(1).dtype();
        Value scaleF = outType == DType.F32 ? c.input(1) : cast(c, c.input(1), DType.F32, "scale_f32");
        Value scale = perAxis(c, scaleF, x, axis, "scale");
        Value xf = cast(c, x, DType.F32, "x_f32");
        if (c.hasInput(2)) {
            Value zp = perAxis(c, cast(c, c.input(2), DType.F32, "zp_f32"), x, axis, "zp");
            xf = c.emit("sub", List.of(xf, zp), Map.of(), c.temp("centered"));
        }
        if (outType == DType.F32) {
            c.produce("mul", List.of(xf, scale), Map.of());
        } else {
            Value y = c.emit("mul", List.of(xf, scale), Map.of(), c.temp("y_f32"));
            c.produce("cast", List.of(y), Map.of("to", new Attr.Type(outType)));
        }
    }

    private static void quantize(NodeContext c) {
        Value x = c.input(0);
        int axis = axis(c, x);
        DType target = c.hasInput(2)
                ? c.input(2).dtype()
                : c.attrs
                        .intValue("output_dtype")
                        .filter(t -> t != 0)
                        .map(t -> OnnxDTypes.require(t.intValue(), c.where + ": output_dtype"))
                        .orElse(DType.U8);
        Value xf = x.dtype() == DType.F32 ? x : cast(c, x, DType.F32, "x_f32");
        Value scale = perAxis(c, cast(c, c.input(1), DType.F32, "scale_f32"), x, axis, "scale");
        Value q = c.emit("div", List.of(xf, scale), Map.of(), c.temp("scaled"));
        // Float targets (8- and 4-bit floats) are not rounded to integers: the cast rounds to the format.
        if (!target.isFloat()) {
            q = c.emit("round", List.of(q), Map.of(), c.temp("rounded"));
        }
        if (c.hasInput(2)) {
            Value zp = perAxis(c, cast(c, c.input(2), DType.F32, "zp_f32"), x, axis, "zp");
            q = c.emit("add", List.of(q, zp), Map.of(), c.temp("shifted"));
        }
        if (target.isFloat()) {
            // QuantizeLinear-19's saturate (default 1) means the same as Cast's for 8-bit float targets.
            c.define(0, c.emit("cast", List.of(q), ElementwiseConverters.castAttrs(c, target), c.outputName(0)));
            return;
        }
        c.define(0, saturate(c, q, target, c.outputName(0)));
    }

    /** {@code y = saturate(round(x / scale) + zp)} with scale and zero point from x's range including 0. */
    private static void dynamicQuantize(NodeContext c) {
        Value x = c.input(0);
        long[] all = new long[x.type().rank()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        Map<String, Attr> reduce = Map.of("axes", Attr.ints(all), "keepdims", new Attr.Int(0));
        Value zero = ActivationConverters.scalar(c, "zero", DType.F32, 0);
        Value lo = c.emit(
                "min", List.of(c.emit("reduce_min", List.of(x), reduce, c.temp("min")), zero), Map.of(), c.temp("lo"));
        Value hi = c.emit(
                "max", List.of(c.emit("reduce_max", List.of(x), reduce, c.temp("max")), zero), Map.of(), c.temp("hi"));
        Value range = c.emit("sub", List.of(hi, lo), Map.of(), c.temp("range"));
        Value scale = c.emit(
                "div",
                List.of(range, ActivationConverters.scalar(c, "qmax", DType.F32, 255)),
                Map.of(),
                c.outputName(1));
        Value zpF = c.emit(
                "round",
                List.of(c.emit(
                        "neg",
                        List.of(c.emit("div", List.of(lo, scale), Map.of(), c.temp("lo_scaled"))),
                        Map.of(),
                        c.temp("neg_lo"))),
                Map.of(),
                c.temp("zp_rounded"));
        Value zpClipped = clip(c, zpF, 0, 255, "zp_clipped");
        Value q = c.emit(
                "round",
                List.of(c.emit("div", List.of(x, scale), Map.of(), c.temp("scaled"))),
                Map.of(),
                c.temp("rounded"));
        q = c.emit("add", List.of(q, zpClipped), Map.of(), c.temp("shifted"));
        c.define(0, saturate(c, q, DType.U8, c.outputName(0)));
        c.define(1, scale);
        c.define(2, c.emit("cast", List.of(zpClipped), Map.of("to", new Attr.Type(DType.U8)), c.outputName(2)));
    }

    private static void matmulInteger(NodeContext c) {
        Value a = centered(c, c.input(0), c.optionalInput(2).orElse(null), true, "a");
        Value b = centered(c, c.input(1), c.optionalInput(3).orElse(null), false, "b");
        c.produce("matmul", List.of(a, b), Map.of());
    }

    private static void qlinearMatmul(NodeContext c) {
        Value a = centered(c, c.input(0), c.input(2), true, "a");
        Value b = centered(c, c.input(3), c.input(5), false, "b");
        Value acc = c.emit("matmul", List.of(a, b), Map.of(), c.temp("acc"));
        Value accF = cast(c, acc, DType.F32, "acc_f32");
        // Scales may be f16 (QLinearMatMul-21): the requantisation runs in f32 either way.
        Value ab = c.emit(
                "mul",
                List.of(cast(c, c.input(1), DType.F32, "a_scale_f32"), cast(c, c.input(4), DType.F32, "b_scale_f32")),
                Map.of(),
                c.temp("ab_scale"));
        Value s = c.emit(
                "div", List.of(ab, cast(c, c.input(6), DType.F32, "y_scale_f32")), Map.of(), c.temp("requant_scale"));
        Value q = c.emit(
                "round",
                List.of(c.emit("mul", List.of(accF, s), Map.of(), c.temp("scaled"))),
                Map.of(),
                c.temp("rounded"));
        q = c.emit("add", List.of(q, cast(c, c.input(7), DType.F32, "y_zp_f32")), Map.of(), c.temp("shifted"));
        c.define(0, saturate(c, q, c.input(7).dtype(), c.outputName(0)));
    }

    /** {@code i32(x) - i32(zp)}; a per-row zero point of {@code a} is a column vector. */
    private static Value centered(NodeContext c, Value x, Value zp, boolean rows, String tag) {
        Value xi = cast(c, x, DType.I32, tag + "_i32");
        if (zp == null) {
            return xi;
        }
        Value zi = cast(c, zp, DType.I32, tag + "_zp_i32");
        if (rows && zi.type().rank() == 1 && !zi.type().dim(0).equals(Dim.of(1))) {
            zi = c.emit("unsqueeze", List.of(zi), Map.of("axes", Attr.ints(1)), c.temp(tag + "_zp_col"));
        }
        return c.emit("sub", List.of(xi, zi), Map.of(), c.temp(tag + "_centered"));
    }

    private static int axis(NodeContext c, Value x) {
        long a = c.attrs.intValue("axis", 1);
        int rank = Math.max(1, x.type().rank());
        return (int) (a < 0 ? a + rank : a);
    }

    /** A 1-D per-channel parameter reshaped to broadcast along {@code axis} of x; scalars as they are. */
    private static Value perAxis(NodeContext c, Value p, Value x, int axis, String tag) {
        long block = c.attrs.intValue("block_size", 0);
        if (block != 0) {
            return QuantBlocks.widen(c, p, x, axis, block, tag);
        }
        if (p.type().rank() == 0 || (p.type().rank() == 1 && p.type().dim(0).equals(Dim.of(1)))) {
            return p;
        }
        List<Dim> shape = new ArrayList<>(List.of(p.type().dim(0)));
        for (int i = axis + 1; i < x.type().rank(); i++) {
            shape.add(Dim.of(1));
        }
        return c.emit("reshape", List.of(p), Map.of("shape", new Attr.Dims(shape)), c.temp(tag + "_axis"));
    }

    private static Value saturate(NodeContext c, Value q, DType target, String name) {
        double lo;
        double hi;
        switch (target) {
            case U8 -> {
                lo = 0;
                hi = 255;
            }
            case I8 -> {
                lo = -128;
                hi = 127;
            }
            case U16 -> {
                lo = 0;
                hi = 65535;
            }
            case I16 -> {
                lo = -32768;
                hi = 32767;
            }
            case I32 -> {
                lo = Integer.MIN_VALUE;
                hi = Integer.MAX_VALUE;
            }
            case U4 -> {
                lo = 0;
                hi = 15;
            }
            case I4 -> {
                lo = -8;
                hi = 7;
            }
            case U2 -> {
                lo = 0;
                hi = 3;
            }
            case I2 -> {
                lo = -2;
                hi = 1;
            }
            default ->
                throw c.fail("quantizes to u8, i8, u16, i16, i32, u4, i4, u2, i2 or an 8/4-bit float, not "
                        + target.irName());
        }
        Value clipped = clip(c, q, lo, hi, "saturated");
        return c.emit("cast", List.of(clipped), Map.of("to", new Attr.Type(target)), name);
    }

    private static Value clip(NodeContext c, Value x, double lo, double hi, String tag) {
        Value low = c.emit(
                "max",
                List.of(x, ActivationConverters.scalar(c, tag + "_lo", DType.F32, lo)),
                Map.of(),
                c.temp(tag + "_low"));
        return c.emit(
                "min", List.of(low, ActivationConverters.scalar(c, tag + "_hi", DType.F32, hi)), Map.of(), c.temp(tag));
    }

    private static Value cast(NodeContext c, Value x, DType to, String tag) {
        return x.dtype() == to ? x : c.emit("cast", List.of(x), Map.of("to", new Attr.Type(to)), c.temp(tag));
    }
}
