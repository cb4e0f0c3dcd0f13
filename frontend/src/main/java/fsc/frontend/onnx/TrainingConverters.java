package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * The optimizers of {@code ai.onnx.preview.training} (Adagrad, Adam, Momentum): one update step of
 * each of the node's n tensors, spelled with element-wise IR ops. Inputs are {@code R} (learning
 * rate), {@code T} (update count), then n X's, n G's and the optimizer's state tensors, in groups;
 * outputs are the n new X's followed by the new states. The formulas are the operator spec's, in
 * its order of operations (onnx/defs/training/defs.cc); the step-count conditions ({@code T > 0})
 * are run-time {@code where}s because T is an input.
 */
final class TrainingConverters {
    private TrainingConverters() {}

    static final String TRAINING_DOMAIN = "ai.onnx.preview.training";

    static void register(List<Rule> rules) {
        rules.add(new Rule(TRAINING_DOMAIN, "Adagrad", 1, TrainingConverters::adagrad));
        rules.add(new Rule(TRAINING_DOMAIN, "Adam", 1, TrainingConverters::adam));
        rules.add(new Rule(TRAINING_DOMAIN, "Momentum", 1, TrainingConverters::momentum));
    }

    /**
     * {@code r = R / (1 + T·decay)}; {@code g' = norm·X + G}; {@code H' = H + g'²};
     * {@code X' = X - r·g' / (√H' + ε)}.
     */
    private static void adagrad(NodeContext c) {
        int n = tensorCount(c, 3);
        double decay = c.attrs.floatValue("decay_factor").orElse(0.0);
        double epsilon = c.attrs.floatValue("epsilon").orElse(1e-6);
        double norm = c.attrs.floatValue("norm_coefficient").orElse(0.0);
        Value r = c.input(0);
        DType rt = r.dtype();
        Value t = c.emit("cast", List.of(c.input(1)), Map.of("to", new Attr.Type(rt)), c.temp("t"));
        Value td = c.emit("mul", List.of(t, scalar(c, "decay", rt, decay)), Map.of(), c.temp("t_decay"));
        Value denom = c.emit("add", List.of(scalar(c, "one", rt, 1.0), td), Map.of(), c.temp("decay_denominator"));
        Value rate = c.emit("div", List.of(r, denom), Map.of(), c.temp("rate"));
        for (int i = 0; i < n; i++) {
            Value x = c.input(2 + i);
            Value h = c.input(2 + 2 * n + i);
            Value g = regularized(c, x, c.input(2 + n + i), norm, i);
            Value g2 = c.emit("mul", List.of(g, g), Map.of(), c.temp("g_squared" + i));
            Value hNew = c.emit("add", List.of(h, g2), Map.of(), c.outputName(n + i));
            c.define(n + i, hNew);
            Value hs = c.emit("sqrt", List.of(hNew), Map.of(), c.temp("h_sqrt" + i));
            Value he = c.emit(
                    "add", List.of(hs, scalar(c, "epsilon" + i, x.dtype(), epsilon)), Map.of(), c.temp("h_eps" + i));
            Value rg = c.emit("mul", List.of(cast(c, rate, x.dtype(), "rate" + i), g), Map.of(), c.temp("rate_g" + i));
            Value step = c.emit("div", List.of(rg, he), Map.of(), c.temp("step" + i));
            c.define(i, c.emit("sub", List.of(x, step), Map.of(), c.outputName(i)));
        }
    }

    /**
     * {@code g' = norm·X + G}; {@code V' = α·V + (1-α)·g'}; {@code H' = β·H + (1-β)·g'²};
     * {@code r = T > 0 ? R·√(1-β^T) / (1-α^T) : R}; {@code X' = (1 - norm_post)·(X - r·V' / (√H' + ε))}.
     */
    private static void adam(NodeContext c) {
        int n = tensorCount(c, 4);
        double alpha = c.attrs.floatValue("alpha").orElse(0.9);
        double beta = c.attrs.floatValue("beta").orElse(0.999);
        double epsilon = c.attrs.floatValue("epsilon").orElse(1e-6);
        double norm = c.attrs.floatValue("norm_coefficient").orElse(0.0);
        double normPost = c.attrs.floatValue("norm_coefficient_post").orElse(0.0);
        Value r = c.input(0);
        DType rt = r.dtype();
        Value t = c.emit("cast", List.of(c.input(1)), Map.of("to", new Attr.Type(rt)), c.temp("t"));
        Value one = scalar(c, "one", rt, 1.0);
        Value alphaT = c.emit("pow", List.of(scalar(c, "alpha", rt, alpha), t), Map.of(), c.temp("alpha_t"));
        Value betaT = c.emit("pow", List.of(scalar(c, "beta", rt, beta), t), Map.of(), c.temp("beta_t"));
        Value num = c.emit(
                "sqrt",
                List.of(c.emit("sub", List.of(one, betaT), Map.of(), c.temp("one_minus_beta_t"))),
                Map.of(),
                c.temp("bias_sqrt"));
        Value den = c.emit("sub", List.of(one, alphaT), Map.of(), c.temp("one_minus_alpha_t"));
        Value corrected = c.emit(
                "div",
                List.of(c.emit("mul", List.of(r, num), Map.of(), c.temp("rate_sqrt")), den),
                Map.of(),
                c.temp("rate_corrected"));
        Value rate = c.emit("where", List.of(started(c), corrected, r), Map.of(), c.temp("rate"));
        for (int i = 0; i < n; i++) {
            Value x = c.input(2 + i);
            DType xt = x.dtype();
            Value v = c.input(2 + 2 * n + i);
            Value h = c.input(2 + 3 * n + i);
            Value g = regularized(c, x, c.input(2 + n + i), norm, i);
            Value vNew = c.emit(
                    "add",
                    List.of(scaled(c, v, alpha, "v_decay" + i), scaled(c, g, 1 - alpha, "g_part" + i)),
                    Map.of(),
                    c.outputName(n + i));
            c.define(n + i, vNew);
            Value g2 = c.emit("mul", List.of(g, g), Map.of(), c.temp("g_squared" + i));
            Value hNew = c.emit(
                    "add",
                    List.of(scaled(c, h, beta, "h_decay" + i), scaled(c, g2, 1 - beta, "g2_part" + i)),
                    Map.of(),
                    c.outputName(2 * n + i));
            c.define(2 * n + i, hNew);
            Value hs = c.emit("sqrt", List.of(hNew), Map.of(), c.temp("h_sqrt" + i));
            Value he = c.emit("add", List.of(hs, scalar(c, "epsilon" + i, xt, epsilon)), Map.of(), c.temp("h_eps" + i));
            Value ratio = c.emit("div", List.of(vNew, he), Map.of(), c.temp("ratio" + i));
            Value step = c.emit("mul", List.of(cast(c, rate, xt, "rate" + i), ratio), Map.of(), c.temp("step" + i));
            Value xNew =
                    c.emit("sub", List.of(x, step), Map.of(), normPost == 0 ? c.outputName(i) : c.temp("x_new" + i));
            c.define(i, normPost == 0 ? xNew : scaledNamed(c, xNew, 1 - normPost, c.outputName(i)));
        }
    }

    /**
     * {@code g' = norm·X + G}; {@code V' = α·V + (T > 0 ? β : 1)·g'}; standard:
     * {@code X' = X - R·V'}; nesterov: {@code X' = X - R·(g' + α·V')}.
     */
    private static void momentum(NodeContext c) {
        int n = tensorCount(c, 3);
        double alpha = required(c, "alpha");
        double beta = required(c, "beta");
        double norm = required(c, "norm_coefficient");
        String mode = c.attrs.string("mode").orElseThrow(() -> c.fail("needs attribute 'mode'"));
        if (!mode.equals("standard") && !mode.equals("nesterov")) {
            throw c.fail("mode must be 'standard' or 'nesterov', got '" + mode + "'");
        }
        Value r = c.input(0);
        DType rt = r.dtype();
        Value betaAdjusted = c.emit(
                "where",
                List.of(started(c), scalar(c, "beta", rt, beta), scalar(c, "one", rt, 1.0)),
                Map.of(),
                c.temp("beta_adjusted"));
        for (int i = 0; i < n; i++) {
            Value x = c.input(2 + i);
            DType xt = x.dtype();
            Value v = c.input(2 + 2 * n + i);
            Value g = regularized(c, x, c.input(2 + n + i), norm, i);
            Value bg = c.emit("mul", List.of(cast(c, betaAdjusted, xt, "beta" + i), g), Map.of(), c.temp("beta_g" + i));
            Value vNew = c.emit("add", List.of(scaled(c, v, alpha, "v_decay" + i), bg), Map.of(), c.outputName(n + i));
            c.define(n + i, vNew);
            Value direction = mode.equals("standard")
                    ? vNew
                    : c.emit(
                            "add",
                            List.of(g, scaled(c, vNew, alpha, "v_lookahead" + i)),
                            Map.of(),
                            c.temp("direction" + i));
            Value step = c.emit("mul", List.of(cast(c, r, xt, "rate" + i), direction), Map.of(), c.temp("step" + i));
            c.define(i, c.emit("sub", List.of(x, step), Map.of(), c.outputName(i)));
        }
    }

    /** n, from {@code 2 + groups·n} inputs and {@code (groups-1)·n} outputs. */
    private static int tensorCount(NodeContext c, int groups) {
        int inputs = c.node.getInputCount() - 2;
        if (inputs <= 0 || inputs % groups != 0) {
            throw c.fail("needs R, T and " + groups + " groups of equally many tensors, got " + c.node.getInputCount()
                    + " inputs");
        }
        int n = inputs / groups;
        if (c.node.getOutputCount() != (groups - 1) * n) {
            throw c.fail("updates " + n + " tensors, so it has " + (groups - 1) * n + " outputs, not "
                    + c.node.getOutputCount());
        }
        if (!c.input(0).dtype().isFloat()) {
            throw c.fail("the learning rate R must be a float tensor, got "
                    + c.input(0).type());
        }
        return n;
    }

    /** {@code T > 0} as a bool scalar. */
    private static Value started(NodeContext c) {
        Value t = c.input(1);
        Value zero = c.emit(
                "cast",
                List.of(ActivationConverters.scalar(c, "zero", DType.F32, 0)),
                Map.of("to", new Attr.Type(t.dtype())),
                c.temp("zero_" + t.dtype().irName()));
        return c.emit("greater", List.of(t, zero), Map.of(), c.temp("started"));
    }

    /** {@code norm·X + G}, or G itself when the coefficient is 0 (the spec's default). */
    private static Value regularized(NodeContext c, Value x, Value g, double norm, int i) {
        if (norm == 0) {
            return g;
        }
        return c.emit("add", List.of(scaled(c, x, norm, "x_norm" + i), g), Map.of(), c.temp("g_regularized" + i));
    }

    private static Value scaled(NodeContext c, Value v, double k, String suffix) {
        return scaledNamed(c, v, k, c.temp(suffix));
    }

    private static Value scaledNamed(NodeContext c, Value v, double k, String name) {
        return c.emit("mul", List.of(scalar(c, name.replace('/', '_') + "_k", v.dtype(), k), v), Map.of(), name);
    }

    private static Value scalar(NodeContext c, String suffix, DType t, double v) {
        return ActivationConverters.scalar(c, suffix, t, v);
    }

    private static Value cast(NodeContext c, Value v, DType t, String suffix) {
        return v.dtype() == t
                ? v
                : c.emit("cast", List.of(v), Map.of("to", new Attr.Type(t)), c.temp(suffix + "_cast"));
    }

    private static double required(NodeContext c, String name) {
        return c.attrs.floatValue(name).orElseThrow(() -> c.fail("needs attribute '" + name + "'"));
    }
}
