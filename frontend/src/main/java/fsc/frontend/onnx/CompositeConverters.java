package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * ONNX ops that are exact compositions of existing IR ops, so they need no kernel of their own:
 *
 * <ul>
 *   <li>Shrink: {@code where(x < -lambd, x + bias, where(x > lambd, x - bias, 0))}.
 *   <li>MeanVarianceNormalization: {@code (x - mean(x)) / (sqrt(mean(x^2) - mean(x)^2) + 1e-9)}, the
 *       steps of the op's ONNX function body.
 *   <li>LpPool: {@code (sum over the window of |x|^p)^(1/p)}, the sum as a depthwise convolution with a
 *       ones kernel, which pads with zeros exactly as LpPool does.
 *   <li>HannWindow, HammingWindow, BlackmanWindow: cosines of {@code range(0, size) * 2π / N} (N = size,
 *       or size - 1 when {@code periodic = 0}), computed in f64 and cast to {@code output_datatype}.
 * </ul>
 */
final class CompositeConverters {
    private CompositeConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("Shrink", 9, CompositeConverters::shrink));
        // MVN-9 took its axes as an attribute from the start; 13 only widened the types.
        rules.add(new Rule("MeanVarianceNormalization", 9, CompositeConverters::meanVarianceNormalization));
        // LpPool-11 has pads/strides/auto_pad; 18 added dilations and ceil_mode.
        rules.add(new Rule("LpPool", 11, CompositeConverters::lpPool));
        rules.add(new Rule("HannWindow", 17, c -> window(c, new double[] {0.5, -0.5, 0})));
        rules.add(new Rule("HammingWindow", 17, c -> window(c, new double[] {25.0 / 46, -21.0 / 46, 0})));
        rules.add(new Rule("BlackmanWindow", 17, c -> window(c, new double[] {0.42, -0.5, 0.08})));
    }

    /** A scalar constant of {@code dtype}. */
    private static Value scalar(NodeContext c, String suffix, DType dtype, double v) {
        HostTensor t = HostTensor.zeros(dtype, new long[0]);
        t.setDouble(0, v);
        return c.constant(suffix, t.toWeight());
    }

    private static void shrink(NodeContext c) {
        Value x = c.input(0);
        DType t = x.type().dtype();
        double bias = c.attrs.floatValue("bias").orElse(0.0);
        double lambd = c.attrs.floatValue("lambd").orElse(0.5);
        Value below = c.emit("less", List.of(x, scalar(c, "neg_lambd", t, -lambd)), Map.of(), c.temp("below"));
        Value above = c.emit("greater", List.of(x, scalar(c, "lambd", t, lambd)), Map.of(), c.temp("above"));
        Value b = scalar(c, "bias", t, bias);
        Value raised = c.emit("add", List.of(x, b), Map.of(), c.temp("raised"));
        Value lowered = c.emit("sub", List.of(x, b), Map.of(), c.temp("lowered"));
        Value upper = c.emit("where", List.of(above, lowered, scalar(c, "zero", t, 0)), Map.of(), c.temp("upper"));
        c.produce("where", List.of(below, raised, upper), Map.of());
    }

    private static void meanVarianceNormalization(NodeContext c) {
        Value x = c.input(0);
        if (!x.type().dtype().isFloat()) {
            throw c.fail("needs a floating-point input, got " + x.type());
        }
        long[] axes = c.attrs.ints("axes").orElse(new long[] {0, 2, 3});
        Map<String, Attr> mean = Map.of("axes", Attr.ints(axes), "keepdims", new Attr.Int(1));
        DType t = x.type().dtype();
        Value m = c.emit("reduce_mean", List.of(x), mean, c.temp("mean"));
        Value squares = c.emit("mul", List.of(x, x), Map.of(), c.temp("squares"));
        Value meanOfSquares = c.emit("reduce_mean", List.of(squares), mean, c.temp("mean_of_squares"));
        Value squaredMean = c.emit("mul", List.of(m, m), Map.of(), c.temp("squared_mean"));
        Value variance = c.emit("sub", List.of(meanOfSquares, squaredMean), Map.of(), c.temp("variance"));
        Value std = c.emit("sqrt", List.of(variance), Map.of(), c.temp("std"));
        Value guarded = c.emit("add", List.of(std, scalar(c, "epsilon", t, 1e-9)), Map.of(), c.temp("std_eps"));
        Value centred = c.emit("sub", List.of(x, m), Map.of(), c.temp("centred"));
        c.produce("div", List.of(centred, guarded), Map.of());
    }

    private static void lpPool(NodeContext c) {
        Value x = c.input(0);
        if (x.type().dtype() != DType.F32) {
            throw c.fail("computes in f32 only, got " + x.type());
        }
        if (c.attrs.intValue("ceil_mode", 0) != 0) {
            throw c.fail("ceil_mode = 1 is not supported");
        }
        long[] kernel = c.attrs.ints("kernel_shape").orElseThrow(() -> c.fail("needs attribute 'kernel_shape'"));
        if (kernel.length != x.type().rank() - 2 || !x.type().dim(1).isFixed()) {
            throw c.fail("needs an input [N, C, spatial...] with a fixed C and one kernel size per spatial axis, got "
                    + x.type());
        }
        long channels = x.type().dim(1).value();
        double p = c.attrs.intValue("p", 2);
        long[] shape = new long[kernel.length + 2];
        shape[0] = channels;
        shape[1] = 1;
        System.arraycopy(kernel, 0, shape, 2, kernel.length);
        HostTensor ones = HostTensor.zeros(DType.F32, shape);
        for (long i = 0; i < ones.size(); i++) {
            ones.setDouble(i, 1);
        }
        Value magnitude = c.emit("abs", List.of(x), Map.of(), c.temp("abs"));
        Value powered = c.emit("pow", List.of(magnitude, scalar(c, "p", DType.F32, p)), Map.of(), c.temp("pow"));
        Map<String, Attr> attrs = new TreeMap<>();
        attrs.put("kernel_shape", Attr.ints(kernel));
        attrs.put("group", new Attr.Int(channels));
        for (String name : List.of("strides", "pads", "dilations")) {
            c.attrs.ints(name).ifPresent(v -> attrs.put(name, Attr.ints(v)));
        }
        c.attrs.string("auto_pad").ifPresent(v -> attrs.put("auto_pad", new Attr.Str(v)));
        Value sum = c.emit("conv", List.of(powered, c.constant("ones", ones.toWeight())), attrs, c.temp("sum"));
        c.produce("pow", List.of(sum, scalar(c, "inv_p", DType.F32, 1 / p)), Map.of());
    }

    /**
     * A floating-point Range: {@code start + delta · range(0, n)} with {@code n = max(ceil((limit -
     * start) / delta), 0)}, so start, limit and delta must be known at compile time.
     */
    static void floatRange(NodeContext c) {
        DType t = c.input(0).type().dtype();
        double start = KnownOperands.tensor(c, 0, "start").getDouble(0);
        double limit = KnownOperands.tensor(c, 1, "limit").getDouble(0);
        double delta = KnownOperands.tensor(c, 2, "delta").getDouble(0);
        if (delta == 0 || !Double.isFinite(start + limit + delta)) {
            throw c.fail("needs finite start, limit and a non-zero delta, got " + start + ", " + limit + ", " + delta);
        }
        long n = Math.max((long) Math.ceil((limit - start) / delta), 0);
        Value index = c.emit(
                "range",
                List.of(
                        scalar(c, "start", DType.I64, 0),
                        scalar(c, "limit", DType.I64, n),
                        scalar(c, "delta", DType.I64, 1)),
                Map.of(),
                c.temp("n"));
        Value steps = c.emit("cast", List.of(index), Map.of("to", new Attr.Type(t)), c.temp("steps"));
        Value scaled = c.emit("mul", List.of(steps, c.input(2)), Map.of(), c.temp("scaled"));
        c.produce("add", List.of(scaled, c.input(0)), Map.of());
    }

    /**
     * {@code a0 + a1 cos(2πn/N) + a2 cos(4πn/N)} for n in [0, size): the generalized cosine window of
     * the ONNX spec with the coefficients of each op.
     */
    private static void window(NodeContext c, double[] a) {
        long size = KnownOperands.scalar(c, 0, "the window size");
        if (size < 1) {
            throw c.fail("window size must be positive, got " + size);
        }
        boolean periodic = c.attrs.intValue("periodic", 1) != 0;
        DType out = OnnxDTypes.require((int) c.attrs.intValue("output_datatype", 1), c.where + ": output_datatype");
        long n = periodic ? size : size - 1;
        Value index = c.emit(
                "range",
                List.of(
                        scalar(c, "start", DType.I64, 0),
                        scalar(c, "limit", DType.I64, size),
                        scalar(c, "delta", DType.I64, 1)),
                Map.of(),
                c.temp("n"));
        Value x = c.emit("cast", List.of(index), Map.of("to", new Attr.Type(DType.F64)), c.temp("n_f64"));
        // size 1 with periodic = 0 divides by zero in the spec's formula; its reference gives the one term a0 + a1 +
        // a2.
        double step = n == 0 ? 0 : 2 * Math.PI / n;
        Value angle = c.emit("mul", List.of(x, scalar(c, "step", DType.F64, step)), Map.of(), c.temp("angle"));
        Value acc = c.emit(
                "add",
                List.of(
                        scalar(c, "a0", DType.F64, a[0]),
                        c.emit(
                                "mul",
                                List.of(
                                        c.emit("cos", List.of(angle), Map.of(), c.temp("cos1")),
                                        scalar(c, "a1", DType.F64, a[1])),
                                Map.of(),
                                c.temp("term1"))),
                Map.of(),
                c.temp("sum1"));
        if (a[2] != 0) {
            Value twice = c.emit("add", List.of(angle, angle), Map.of(), c.temp("angle2"));
            Value term = c.emit(
                    "mul",
                    List.of(c.emit("cos", List.of(twice), Map.of(), c.temp("cos2")), scalar(c, "a2", DType.F64, a[2])),
                    Map.of(),
                    c.temp("term2"));
            acc = c.emit("add", List.of(acc, term), Map.of(), c.temp("sum2"));
        }
        c.produce("cast", List.of(acc), Map.of("to", new Attr.Type(out)));
    }
}
