package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CausalConvWithState (opset 27), following its ONNX function body: the past state (or zeros) is
 * prepended along time, a depthwise {@code conv} (group = channels, no padding) gives the output,
 * optionally through SiLU ({@code activation = "silu"} or its alias {@code "swish"}), and the last
 * {@code K - 1} steps of the padded input become the present state.
 */
final class CausalConvConverter {
    private CausalConvConverter() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("CausalConvWithState", 27, CausalConvConverter::convert));
    }

    private static void convert(NodeContext c) {
        Value x = c.input(0);
        Value w = c.input(1);
        long[] xs = StaticSelection.fixedShape(c, x);
        long[] ws = StaticSelection.fixedShape(c, w);
        if (xs.length != 3 || ws.length != 3 || ws[0] != xs[1] || ws[1] != 1) {
            throw c.fail(
                    "needs input [B, C, L] and a depthwise weight [C, 1, K], got " + x.type() + " and " + w.type());
        }
        String activation = c.attrs.string("activation").orElse("none").toLowerCase(Locale.ROOT);
        if (!List.of("none", "silu", "swish").contains(activation)) {
            throw c.fail("unknown activation \"" + activation + "\"");
        }
        long state = ws[2] - 1;
        Value past = c.hasInput(3)
                ? c.input(3)
                : c.constant(
                        "zero_state",
                        HostTensor.zeros(x.type().dtype(), new long[] {xs[0], xs[1], state})
                                .toWeight());
        Value padded =
                state == 0 ? x : c.emit("concat", List.of(past, x), Map.of("axis", new Attr.Int(2)), c.temp("padded"));
        List<Value> convIn = new ArrayList<>(List.of(padded, w));
        c.optionalInput(2).ifPresent(convIn::add);
        Map<String, Attr> conv = Map.of("group", new Attr.Int(xs[1]), "kernel_shape", Attr.ints(ws[2]));
        if (activation.equals("none")) {
            c.define(0, c.emit("conv", convIn, conv, c.outputName(0)));
        } else {
            Value y = c.emit("conv", convIn, conv, c.temp("conv"));
            c.define(0, c.emit("silu", List.of(y), Map.of(), c.outputName(0)));
        }
        if (c.node.getOutputCount() > 1 && !c.outputName(1).isEmpty()) {
            long total = xs[2] + state;
            c.define(
                    1,
                    c.emit(
                            "slice",
                            List.of(padded),
                            Map.of(
                                    "starts", StaticSelection.dims(total - state),
                                    "ends", StaticSelection.dims(total),
                                    "axes", Attr.ints(2)),
                            c.outputName(1)));
        }
    }
}
