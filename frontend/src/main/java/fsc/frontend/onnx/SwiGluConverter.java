package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * SwiGLU-28, {@code Y = A · sigmoid(alpha · A) · B}: its function body (Swish of the gate times the
 * value input). With alpha = 1 the gate is the IR's {@code silu}.
 */
final class SwiGluConverter {
    private SwiGluConverter() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("SwiGLU", 28, SwiGluConverter::swiglu));
    }

    private static void swiglu(NodeContext c) {
        Value a = c.input(0);
        Value b = c.input(1);
        if (!a.type().dims().equals(b.type().dims())) {
            throw c.fail(
                    "gate and value must have the same shape (no broadcasting), got " + a.type() + " and " + b.type());
        }
        double alpha = c.attrs.floatValue("alpha").orElse(1.0);
        Value gate;
        if (alpha == 1.0) {
            gate = c.emit("silu", List.of(a), Map.of(), c.temp("swish"));
        } else {
            Value scaled = c.emit(
                    "mul",
                    List.of(a, ActivationConverters.scalar(c, "alpha", a.dtype(), alpha)),
                    Map.of(),
                    c.temp("scaled"));
            Value sig = c.emit("sigmoid", List.of(scaled), Map.of(), c.temp("sigmoid"));
            gate = c.emit("mul", List.of(a, sig), Map.of(), c.temp("swish"));
        }
        c.produce("mul", List.of(gate, b), Map.of());
    }
}
