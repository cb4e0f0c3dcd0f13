package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * LRN, which composes from IR ops as an average pool over channels, and ConvInteger and QLinearConv,
 * imported one to one as {@code conv_integer} and {@code qlinear_conv} (the {@code quantize} pass
 * lowers them to an f32 {@code conv} of zero-point-centred integers).
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

    /** An absent {@code x_zero_point} before a given {@code w_zero_point} is a zero of x's type. */
    private static void convInteger(NodeContext c) {
        List<Value> in = new ArrayList<>(List.of(c.input(0), c.input(1)));
        if (c.hasInput(2)) {
            in.add(c.input(2));
        } else if (c.hasInput(3)) {
            ByteBuffer zero = ByteBuffer.allocate(1).order(ByteOrder.LITTLE_ENDIAN);
            in.add(c.constant("x_zero_point", new WeightData(c.input(0).dtype(), List.of(), zero)));
        }
        c.optionalInput(3).ifPresent(in::add);
        c.produce("conv_integer", in, convAttrs(c));
    }

    private static void qlinearConv(NodeContext c) {
        List<Value> in = new ArrayList<>();
        for (int i = 0; i < 9 && c.hasInput(i); i++) {
            in.add(c.input(i));
        }
        c.produce("qlinear_conv", in, convAttrs(c));
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
}
