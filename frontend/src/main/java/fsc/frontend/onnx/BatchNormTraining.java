package fsc.frontend.onnx;

import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * BatchNormalization with {@code training_mode = 1}: normalises with the batch's own mean and
 * (population) variance over every axis but the channel, and outputs the running statistics
 * updated as {@code running · momentum + batch · (1 − momentum)}, as ONNX's reference does.
 */
final class BatchNormTraining {
    private BatchNormTraining() {}

    static void convert(NodeContext c) {
        Value x = c.input(0);
        int rank = x.type().rank();
        if (rank < 2) {
            throw c.fail("needs [N, C, ...] input, got " + x.type());
        }
        double eps = c.attrs.floatValue("epsilon").orElse(1e-5);
        double momentum = c.attrs.floatValue("momentum").orElse(0.9);
        long[] axes = new long[rank - 1];
        axes[0] = 0;
        for (int i = 2; i < rank; i++) {
            axes[i - 1] = i;
        }
        Map<String, Attr> keep = Map.of("axes", Attr.ints(axes), "keepdims", new Attr.Int(1));
        Value mean = c.emit("reduce_mean", List.of(x), keep, c.temp("batch_mean"));
        Value centred = c.emit("sub", List.of(x, mean), Map.of(), c.temp("centred"));
        Value sq = c.emit("mul", List.of(centred, centred), Map.of(), c.temp("centred_sq"));
        Value var = c.emit("reduce_mean", List.of(sq), keep, c.temp("batch_var"));
        Value epsV = ActivationConverters.scalar(c, "epsilon", x.dtype(), eps);
        Value std = c.emit(
                "sqrt",
                List.of(c.emit("add", List.of(var, epsV), Map.of(), c.temp("var_eps"))),
                Map.of(),
                c.temp("std"));
        Value normed = c.emit("div", List.of(centred, std), Map.of(), c.temp("normed"));
        Value scaled =
                c.emit("mul", List.of(normed, channel(c, c.input(1), rank, "scale")), Map.of(), c.temp("scaled"));
        c.define(0, c.emit("add", List.of(scaled, channel(c, c.input(2), rank, "bias")), Map.of(), c.outputName(0)));
        Value m = ActivationConverters.scalar(c, "momentum", x.dtype(), momentum);
        Value rest = ActivationConverters.scalar(c, "one_minus_momentum", x.dtype(), 1 - momentum);
        Value[] batch = {mean, var};
        for (int k = 1; k <= 2; k++) {
            if (c.node.getOutputCount() <= k || c.outputName(k).isEmpty()) {
                continue;
            }
            Value flat = c.emit(
                    "reshape",
                    List.of(batch[k - 1]),
                    Map.of("shape", new Attr.Dims(List.of(x.type().dim(1)))),
                    c.temp("batch_stat"));
            Value old = c.emit("mul", List.of(c.input(2 + k), m), Map.of(), c.temp("kept"));
            Value fresh = c.emit("mul", List.of(flat, rest), Map.of(), c.temp("fresh"));
            c.define(k, c.emit("add", List.of(old, fresh), Map.of(), c.outputName(k)));
        }
    }

    /** A per-channel {@code [C]} vector as {@code [C, 1, ...]} to broadcast over axis 1. */
    private static Value channel(NodeContext c, Value p, int rank, String tag) {
        List<Dim> shape = new ArrayList<>(List.of(p.type().dim(0)));
        for (int i = 2; i < rank; i++) {
            shape.add(Dim.of(1));
        }
        return c.emit("reshape", List.of(p), Map.of("shape", new Attr.Dims(shape)), c.temp(tag + "_channel"));
    }
}
