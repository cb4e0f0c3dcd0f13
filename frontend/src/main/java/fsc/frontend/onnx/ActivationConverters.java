package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

/**
 * Activation functions, Clip, Dropout (inference) and the NaN/infinity tests, each written with the
 * IR's element-wise ops at import so every backend that has those runs them. The formulas avoid
 * comparisons where a max/min does: {@code relu(x) + alpha * (exp(min(x, 0)) - 1)} is Elu.
 */
final class ActivationConverters {
    private ActivationConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule(
                "LeakyRelu",
                6,
                c -> leaky(c, c.input(0), c.attrs.floatValue("alpha").orElse(0.01))));
        rules.add(new Rule("PRelu", 9, ActivationConverters::prelu));
        rules.add(new Rule("Elu", 6, c -> elu(c, c.attrs.floatValue("alpha").orElse(1.0), 1.0, 1.0)));
        rules.add(new Rule("Celu", 12, ActivationConverters::celu));
        rules.add(new Rule(
                "Selu",
                6,
                c -> elu(
                        c,
                        c.attrs.floatValue("alpha").orElse(1.67326319217681884765625),
                        c.attrs.floatValue("gamma").orElse(1.05070102214813232421875),
                        1.0)));
        rules.add(new Rule("HardSigmoid", 6, ActivationConverters::hardSigmoid));
        rules.add(new Rule("HardSwish", 14, ActivationConverters::hardSwish));
        rules.add(new Rule("Softplus", 1, c -> c.define(0, softplus(c, c.input(0), c.outputName(0)))));
        rules.add(new Rule("Softsign", 1, ActivationConverters::softsign));
        rules.add(new Rule("Mish", 18, ActivationConverters::mish));
        rules.add(new Rule("Swish", 24, ActivationConverters::swish));
        rules.add(new Rule("ThresholdedRelu", 10, ActivationConverters::thresholdedRelu));
        rules.add(new Rule("Clip", 6, ActivationConverters::clip));
        rules.add(new Rule("Dropout", 7, ActivationConverters::dropout));
        rules.add(new Rule("IsNaN", 9, ActivationConverters::isNaN));
        rules.add(new Rule("IsInf", 10, ActivationConverters::isInf));
    }

    /** {@code relu(x) + alpha * min(x, 0)}. */
    private static void leaky(NodeContext c, Value x, double alpha) {
        Value neg = c.emit("min", List.of(x, scalar(c, "zero", x.dtype(), 0)), Map.of(), c.temp("neg"));
        Value scaled = c.emit("mul", List.of(neg, scalar(c, "alpha", x.dtype(), alpha)), Map.of(), c.temp("scaled"));
        Value pos = c.emit("relu", List.of(x), Map.of(), c.temp("pos"));
        c.produce("add", List.of(pos, scaled), Map.of());
    }

    /** As LeakyRelu with a slope tensor that broadcasts to x. */
    private static void prelu(NodeContext c) {
        Value x = c.input(0);
        Value neg = c.emit("min", List.of(x, scalar(c, "zero", x.dtype(), 0)), Map.of(), c.temp("neg"));
        Value scaled = c.emit("mul", List.of(neg, c.input(1)), Map.of(), c.temp("scaled"));
        Value pos = c.emit("relu", List.of(x), Map.of(), c.temp("pos"));
        c.produce("add", List.of(pos, scaled), Map.of());
    }

    /** {@code gamma * (relu(x) + alpha * (exp(min(x, 0) / divisor) - 1))}: Elu, Selu, and Celu with divisor alpha. */
    private static void elu(NodeContext c, double alpha, double gamma, double divisor) {
        Value x = c.input(0);
        DType t = x.dtype();
        Value neg = c.emit("min", List.of(x, scalar(c, "zero", t, 0)), Map.of(), c.temp("neg"));
        if (divisor != 1.0) {
            neg = c.emit("div", List.of(neg, scalar(c, "divisor", t, divisor)), Map.of(), c.temp("neg_scaled"));
        }
        Value e = c.emit("exp", List.of(neg), Map.of(), c.temp("exp"));
        Value em1 = c.emit("sub", List.of(e, scalar(c, "one", t, 1)), Map.of(), c.temp("expm1"));
        Value tail = c.emit("mul", List.of(em1, scalar(c, "alpha", t, alpha)), Map.of(), c.temp("tail"));
        Value pos = c.emit("relu", List.of(x), Map.of(), c.temp("pos"));
        if (gamma == 1.0) {
            c.produce("add", List.of(pos, tail), Map.of());
            return;
        }
        Value sum = c.emit("add", List.of(pos, tail), Map.of(), c.temp("sum"));
        c.produce("mul", List.of(sum, scalar(c, "gamma", t, gamma)), Map.of());
    }

    private static void celu(NodeContext c) {
        double alpha = c.attrs.floatValue("alpha").orElse(1.0);
        elu(c, alpha, 1.0, alpha);
    }

    /** {@code max(0, min(1, alpha * x + beta))}. */
    private static Value hardSigmoidOf(NodeContext c, Value x, double alpha, double beta, String name) {
        DType t = x.dtype();
        Value ax = c.emit("mul", List.of(x, scalar(c, "alpha", t, alpha)), Map.of(), c.temp("ax"));
        Value axb = c.emit("add", List.of(ax, scalar(c, "beta", t, beta)), Map.of(), c.temp("axb"));
        Value upper = c.emit("min", List.of(axb, scalar(c, "one", t, 1)), Map.of(), c.temp("upper"));
        return c.emit("max", List.of(upper, scalar(c, "zero", t, 0)), Map.of(), name);
    }

    private static void hardSigmoid(NodeContext c) {
        double alpha = c.attrs.floatValue("alpha").orElse(0.2);
        double beta = c.attrs.floatValue("beta").orElse(0.5);
        c.define(0, hardSigmoidOf(c, c.input(0), alpha, beta, c.outputName(0)));
    }

    private static void hardSwish(NodeContext c) {
        Value x = c.input(0);
        Value hs = hardSigmoidOf(c, x, 1.0 / 6, 0.5, c.temp("hard_sigmoid"));
        c.produce("mul", List.of(x, hs), Map.of());
    }

    /** {@code log(exp(x) + 1)}, as ONNX's reference computes it. */
    private static Value softplus(NodeContext c, Value x, String name) {
        Value e = c.emit("exp", List.of(x), Map.of(), c.temp("exp"));
        Value e1 = c.emit("add", List.of(e, scalar(c, "one", x.dtype(), 1)), Map.of(), c.temp("exp_plus_1"));
        return c.emit("log", List.of(e1), Map.of(), name);
    }

    private static void softsign(NodeContext c) {
        Value x = c.input(0);
        Value a = c.emit("abs", List.of(x), Map.of(), c.temp("abs"));
        Value d = c.emit("add", List.of(a, scalar(c, "one", x.dtype(), 1)), Map.of(), c.temp("denominator"));
        c.produce("div", List.of(x, d), Map.of());
    }

    /** {@code x * tanh(softplus(x))}. */
    private static void mish(NodeContext c) {
        Value x = c.input(0);
        Value sp = softplus(c, x, c.temp("softplus"));
        Value t = c.emit("tanh", List.of(sp), Map.of(), c.temp("tanh"));
        c.produce("mul", List.of(x, t), Map.of());
    }

    /** {@code x * sigmoid(alpha * x)}; alpha 1 is the IR's silu. */
    private static void swish(NodeContext c) {
        Value x = c.input(0);
        double alpha = c.attrs.floatValue("alpha").orElse(1.0);
        if (alpha == 1.0) {
            c.produce("silu", List.of(x), Map.of());
            return;
        }
        Value ax = c.emit("mul", List.of(x, scalar(c, "alpha", x.dtype(), alpha)), Map.of(), c.temp("ax"));
        Value s = c.emit("sigmoid", List.of(ax), Map.of(), c.temp("sigmoid"));
        c.produce("mul", List.of(x, s), Map.of());
    }

    /** {@code x > alpha ? x : 0}. */
    private static void thresholdedRelu(NodeContext c) {
        Value x = c.input(0);
        double alpha = c.attrs.floatValue("alpha").orElse(1.0);
        Value above = c.emit("greater", List.of(x, scalar(c, "alpha", x.dtype(), alpha)), Map.of(), c.temp("above"));
        c.produce("where", List.of(above, x, scalar(c, "zero", x.dtype(), 0)), Map.of());
    }

    /**
     * {@code min(max(x, lo), hi)}: bounds are attributes before opset 11 and optional scalar operands
     * after; a missing bound does not clip. NaN stays NaN, as Java's max/min keep it.
     */
    private static void clip(NodeContext c) {
        Value x = c.input(0);
        Value lo = null;
        Value hi = null;
        if (c.opset < 11) {
            double min = c.attrs.floatValue("min").orElse(Double.NEGATIVE_INFINITY);
            double max = c.attrs.floatValue("max").orElse(Double.POSITIVE_INFINITY);
            lo = Double.isInfinite(min) ? null : scalar(c, "min", x.dtype(), min);
            hi = Double.isInfinite(max) ? null : scalar(c, "max", x.dtype(), max);
        } else {
            lo = c.optionalInput(1).orElse(null);
            hi = c.optionalInput(2).orElse(null);
        }
        if (lo == null && hi == null) {
            c.produce("identity", List.of(x), Map.of());
        } else if (hi == null) {
            c.produce("max", List.of(x, lo), Map.of());
        } else if (lo == null) {
            c.produce("min", List.of(x, hi), Map.of());
        } else {
            Value low = c.emit("max", List.of(x, lo), Map.of(), c.temp("low"));
            c.produce("min", List.of(low, hi), Map.of());
        }
    }

    /** Inference Dropout is the identity; its optional mask output is all true. */
    private static void dropout(NodeContext c) {
        if (c.hasInput(2)) {
            throw c.fail("the training_mode input is not supported (fsc compiles inference graphs)");
        }
        if (c.opset < 12 && c.attrs.intValue("is_test", 1) == 0) {
            throw c.fail("training dropout (is_test = 0) is not supported");
        }
        Value x = c.input(0);
        c.produce("identity", List.of(x), Map.of());
        if (c.node.getOutputCount() > 1 && !c.outputName(1).isEmpty()) {
            Dim n = Dim.product(x.type().dims());
            if (!n.isFixed()) {
                throw c.fail("the mask output needs fixed dims, got " + x.type());
            }
            ByteBuffer ones = ByteBuffer.allocate(Math.toIntExact(n.value()));
            for (int i = 0; i < n.value(); i++) {
                ones.put((byte) 1);
            }
            WeightData mask = new WeightData(
                    DType.BOOL, x.type().dims().stream().map(Dim::value).toList(), ones.flip());
            c.define(1, c.constantNamed(c.outputName(1), mask));
        }
    }

    /** {@code not(x == x)}. */
    private static void isNaN(NodeContext c) {
        Value x = c.input(0);
        Value same = c.emit("equal", List.of(x, x), Map.of(), c.temp("same"));
        c.produce("not", List.of(same), Map.of());
    }

    /** {@code x == +inf}, {@code x == -inf}, or {@code |x| == inf}, per detect_positive/detect_negative. */
    private static void isInf(NodeContext c) {
        Value x = c.input(0);
        boolean pos = c.attrs.intValue("detect_positive", 1) != 0;
        boolean neg = c.attrs.intValue("detect_negative", 1) != 0;
        if (pos && neg) {
            Value a = c.emit("abs", List.of(x), Map.of(), c.temp("abs"));
            c.produce("equal", List.of(a, scalar(c, "inf", x.dtype(), Double.POSITIVE_INFINITY)), Map.of());
        } else if (pos || neg) {
            double inf = pos ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
            c.produce("equal", List.of(x, scalar(c, "inf", x.dtype(), inf)), Map.of());
        } else {
            Value same = c.emit("equal", List.of(x, x), Map.of(), c.temp("same"));
            c.produce("and", List.of(same, c.emit("not", List.of(same), Map.of(), c.temp("not_same"))), Map.of());
        }
    }

    /** A scalar constant of {@code dtype}; f32 and f64 directly, other types through a cast. */
    static Value scalar(NodeContext c, String suffix, DType dtype, double value) {
        if (dtype == DType.F64) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(value);
            return c.constant(suffix, new WeightData(DType.F64, List.of(), b.flip()));
        }
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) value);
        Value f = c.constant(suffix, new WeightData(DType.F32, List.of(), b.flip()));
        if (dtype == DType.F32) {
            return f;
        }
        return c.emit("cast", List.of(f), Map.of("to", new Attr.Type(dtype)), c.temp(suffix + "_" + dtype.irName()));
    }
}
