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
import java.util.List;
import java.util.Map;

/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. The class picked by each target is a
 * one-hot product summed over the class axis ({@code sum_c [t == c] * x[n, c, ...]}), which needs no
 * gather-by-element op; class weights are picked the same way, ignored targets get weight 0, and
 * {@code mean} divides by the summed weights as ONNX's reference does.
 */
final class LossConverters {
    private LossConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("NegativeLogLikelihoodLoss", 13, c -> c.define(0, nll(c, c.input(0), c.outputName(0)))));
        rules.add(new Rule("SoftmaxCrossEntropyLoss", 13, LossConverters::softmaxCrossEntropy));
    }

    private static void softmaxCrossEntropy(NodeContext c) {
        Value scores = c.input(0);
        boolean wantLogProb = c.node.getOutputCount() > 1 && !c.outputName(1).isEmpty();
        String name = wantLogProb ? c.outputName(1) : c.temp("log_prob");
        Value logProb = c.emit("log_softmax", List.of(scores), Map.of("axis", new Attr.Int(1)), name);
        c.define(0, nll(c, logProb, c.outputName(0)));
        if (wantLogProb) {
            c.define(1, logProb);
        }
    }

    /** The loss of {@code x} ([N, C, d...]) against input 1 (targets [N, d...]) and optional input 2 (weights [C]). */
    private static Value nll(NodeContext c, Value x, String name) {
        Value target = c.input(1);
        int rank = x.type().rank();
        Dim classes = x.type().dim(1);
        if (!classes.isFixed() || rank < 2) {
            throw c.fail("needs [N, C, ...] input with a fixed C, got " + x.type());
        }
        long cCount = classes.value();
        String reduction = c.attrs.string("reduction").orElse("mean");
        Value t64 = target.dtype() == DType.I64
                ? target
                : c.emit("cast", List.of(target), Map.of("to", new Attr.Type(DType.I64)), c.temp("target_i64"));
        Value tu = c.emit("unsqueeze", List.of(t64), Map.of("axes", Attr.ints(1)), c.temp("target_c"));
        List<Long> rampShape = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            rampShape.add(i == 1 ? cCount : 1L);
        }
        ByteBuffer b = ByteBuffer.allocate((int) (cCount * 8)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < cCount; i++) {
            b.putLong(i);
        }
        Value ramp = c.constant("classes", new WeightData(DType.I64, rampShape, b.flip()));
        Value hit = c.emit("equal", List.of(tu, ramp), Map.of(), c.temp("hit"));
        Value onehot = c.emit("cast", List.of(hit), Map.of("to", new Attr.Type(x.dtype())), c.temp("onehot"));
        Map<String, Attr> overClasses = Map.of("axes", Attr.ints(1), "keepdims", new Attr.Int(0));
        Value picked = c.emit(
                "reduce_sum",
                List.of(c.emit("mul", List.of(onehot, x), Map.of(), c.temp("masked_input"))),
                overClasses,
                c.temp("picked"));
        Value loss = c.emit("neg", List.of(picked), Map.of(), c.temp("loss_elements"));

        Value weight = null;
        if (c.hasInput(2)) {
            List<Dim> wShape = new ArrayList<>();
            for (int i = 0; i < rank; i++) {
                wShape.add(i == 1 ? classes : Dim.of(1));
            }
            Value w =
                    c.emit("reshape", List.of(c.input(2)), Map.of("shape", new Attr.Dims(wShape)), c.temp("weight_c"));
            weight = c.emit(
                    "reduce_sum",
                    List.of(c.emit("mul", List.of(onehot, w), Map.of(), c.temp("weight_hit"))),
                    overClasses,
                    c.temp("weight_picked"));
        }
        var ignore = c.attrs.intValue("ignore_index");
        if (ignore.isPresent()) {
            ByteBuffer ib =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(ignore.get());
            Value ignoreC = c.constant("ignore_index", new WeightData(DType.I64, List.of(), ib.flip()));
            Value ignored = c.emit("equal", List.of(t64, ignoreC), Map.of(), c.temp("ignored"));
            Value kept = c.emit("not", List.of(ignored), Map.of(), c.temp("kept"));
            Value keep = c.emit("cast", List.of(kept), Map.of("to", new Attr.Type(x.dtype())), c.temp("keep"));
            weight = weight == null ? keep : c.emit("mul", List.of(weight, keep), Map.of(), c.temp("weight_kept"));
        }
        if (weight != null) {
            loss = c.emit("mul", List.of(loss, weight), Map.of(), c.temp("weighted"));
        }
        long[] all = new long[rank - 1];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        Map<String, Attr> everything = Map.of("axes", Attr.ints(all), "keepdims", new Attr.Int(0));
        return switch (reduction) {
            case "none" -> c.emit("identity", List.of(loss), Map.of(), name);
            case "sum" -> c.emit("reduce_sum", List.of(loss), everything, name);
            case "mean" ->
                weight == null
                        ? c.emit("reduce_mean", List.of(loss), everything, name)
                        : c.emit(
                                "div",
                                List.of(
                                        c.emit("reduce_sum", List.of(loss), everything, c.temp("loss_sum")),
                                        c.emit("reduce_sum", List.of(weight), everything, c.temp("weight_sum"))),
                                Map.of(),
                                name);
            default -> throw c.fail("unknown reduction '" + reduction + "'");
        };
    }
}
