package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * CNN ops that compose from IR ops: LRN as an average pool over channels, and ConvInteger and
 * QLinearConv as an f32 {@code conv} of zero-point-centred integers. The f32 accumulation is exact
 * while every partial sum stays below 2^24, which holds for the 8-bit products and the small
 * receptive fields these ops are used with.
 */
final class CnnExtraConverters {
    private CnnExtraConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("LRN", 1, CnnExtraConverters::lrn));
        rules.add(new Rule("ConvInteger", 10, CnnExtraConverters::convInteger));
        rules.add(new Rule("QLinearConv", 10, CnnExtraConverters::qlinearConv));
    }

    /**
     * {@code y = x / (bias + alpha/size · Σ x²)^beta} with the sum over the {@code size} channels
     * centred on each channel. Reshaping to {@code [N, 1, C, rest]} turns that sum into a zero-padded
     * {@code [size, 1]} average pool (padding counted, so the average is the sum over size).
     */
    private static void lrn(NodeContext c) {
        Value x = c.input(0);
        if (x.type().rank() < 3) {
            throw c.fail("needs [N, C, spatial...] input, got " + x.type());
        }
        long size = c.attrs.intValue("size").orElseThrow(() -> c.fail("the size attribute is required"));
        double alpha = c.attrs.floatValue("alpha").orElse(1e-4);
        double beta = c.attrs.floatValue("beta").orElse(0.75);
        double bias = c.attrs.floatValue("bias").orElse(1.0);
        Value square = c.emit("mul", List.of(x, x), Map.of(), c.temp("square"));
        List<Dim> pooled = List.of(x.type().dim(0), Dim.of(1), x.type().dim(1), Dim.of(-1));
        Value planes = c.emit("reshape", List.of(square), Map.of("shape", new Attr.Dims(pooled)), c.temp("planes"));
        Map<String, Attr> pool = new TreeMap<>();
        pool.put("kernel_shape", Attr.ints(size, 1));
        pool.put("pads", Attr.ints((size - 1) / 2, 0, size / 2, 0));
        pool.put("count_include_pad", new Attr.Int(1));
        Value mean = c.emit("average_pool", List.of(planes), pool, c.temp("mean_square"));
        Value back = c.emit(
                "reshape", List.of(mean), Map.of("shape", new Attr.Dims(x.type().dims())), c.temp("window"));
        Value scaled = c.emit(
                "mul",
                List.of(back, ActivationConverters.scalar(c, "alpha", x.dtype(), alpha)),
                Map.of(),
                c.temp("scaled"));
        Value base = c.emit(
                "add",
                List.of(scaled, ActivationConverters.scalar(c, "bias", x.dtype(), bias)),
                Map.of(),
                c.temp("base"));
        Value denom = c.emit(
                "pow",
                List.of(base, ActivationConverters.scalar(c, "beta", x.dtype(), beta)),
                Map.of(),
                c.temp("denom"));
        c.produce("div", List.of(x, denom), Map.of());
    }

    private static void convInteger(NodeContext c) {
        Value x = centred(c, c.input(0), c.optionalInput(2).orElse(null), "x");
        Value w = centred(c, c.input(1), c.optionalInput(3).orElse(null), "w");
        Value acc = c.emit("conv", List.of(x, w), convAttrs(c), c.temp("acc"));
        c.produce("cast", List.of(acc), Map.of("to", new Attr.Type(DType.I32)));
    }

    /** {@code y = saturate(round(acc · x_scale · w_scale / y_scale) + y_zp)}, the bias added to acc. */
    private static void qlinearConv(NodeContext c) {
        Value x = centred(c, c.input(0), c.input(2), "x");
        Value w = centred(c, c.input(3), c.input(5), "w");
        List<Value> in = new ArrayList<>(List.of(x, w));
        if (c.hasInput(8)) {
            in.add(cast(c, c.input(8), DType.F32, "bias_f32"));
        }
        Value acc = c.emit("conv", in, convAttrs(c), c.temp("acc"));
        Value wScale = perChannel(
                c, cast(c, c.input(4), DType.F32, "w_scale_f32"), acc.type().rank() - 2, "w_scale");
        Value xw =
                c.emit("mul", List.of(cast(c, c.input(1), DType.F32, "x_scale_f32"), wScale), Map.of(), c.temp("xw"));
        Value s = c.emit("div", List.of(xw, cast(c, c.input(6), DType.F32, "y_scale_f32")), Map.of(), c.temp("s"));
        Value scaled = c.emit("mul", List.of(acc, s), Map.of(), c.temp("scaled"));
        Value q = c.emit("round", List.of(scaled), Map.of(), c.temp("rounded"));
        Value yzp = c.input(7);
        q = c.emit("add", List.of(q, cast(c, yzp, DType.F32, "y_zp_f32")), Map.of(), c.temp("shifted"));
        double lo = yzp.dtype() == DType.I8 ? -128 : 0;
        double hi = yzp.dtype() == DType.I8 ? 127 : 255;
        if (yzp.dtype() != DType.I8 && yzp.dtype() != DType.U8) {
            throw c.fail("quantizes to u8 or i8, not " + yzp.dtype().irName());
        }
        Value low = c.emit(
                "max", List.of(q, ActivationConverters.scalar(c, "q_lo", DType.F32, lo)), Map.of(), c.temp("q_low"));
        Value clipped = c.emit(
                "min", List.of(low, ActivationConverters.scalar(c, "q_hi", DType.F32, hi)), Map.of(), c.temp("q_clip"));
        c.produce("cast", List.of(clipped), Map.of("to", new Attr.Type(yzp.dtype())));
    }

    /** {@code f32(v) - f32(zp)}; a per-output-channel weight zero point broadcasts over [M, C, k...]. */
    private static Value centred(NodeContext c, Value v, Value zp, String tag) {
        Value vf = cast(c, v, DType.F32, tag + "_f32");
        if (zp == null) {
            return vf;
        }
        Value zf =
                perChannel(c, cast(c, zp, DType.F32, tag + "_zp_f32"), v.type().rank() - 1, tag + "_zp");
        return c.emit("sub", List.of(vf, zf), Map.of(), c.temp(tag + "_centred"));
    }

    /** A 1-D per-channel parameter of length > 1 reshaped to {@code [M, 1 × trailing]}. */
    private static Value perChannel(NodeContext c, Value p, int trailing, String tag) {
        if (p.type().rank() == 0 || p.type().dim(0).equals(Dim.of(1))) {
            return p;
        }
        List<Dim> shape = new ArrayList<>(List.of(p.type().dim(0)));
        for (int i = 0; i < trailing; i++) {
            shape.add(Dim.of(1));
        }
        return c.emit("reshape", List.of(p), Map.of("shape", new Attr.Dims(shape)), c.temp(tag + "_channel"));
    }

    private static Map<String, Attr> convAttrs(NodeContext c) {
        Map<String, Attr> attrs = new TreeMap<>();
        for (String name : List.of("kernel_shape", "strides", "pads", "dilations")) {
            c.attrs.ints(name).ifPresent(v -> attrs.put(name, Attr.ints(v)));
        }
        c.attrs.string("auto_pad").ifPresent(v -> attrs.put("auto_pad", new Attr.Str(v)));
        c.attrs.intValue("group").ifPresent(v -> attrs.put("group", new Attr.Int(v)));
        return attrs;
    }

    private static Value cast(NodeContext c, Value x, DType to, String tag) {
        return x.dtype() == to ? x : c.emit("cast", List.of(x), Map.of("to", new Attr.Type(to)), c.temp(tag));
    }
}
