package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * ONNX ops of decoders and CNNs that map onto one IR op each (Split, Tile, Range, Trilu, CumSum,
 * CumProd,
 * ArgMax, RMSNormalization, BatchNormalization, Conv, pools), plus ArgMin and the reductions that
 * are compositions (ReduceL1 is {@code reduce_sum(abs(x))}, ReduceLogSumExp
 * {@code log(reduce_sum(exp(x)))}, as ONNX's reference computes them).
 */
final class DecoderCnnConverters {
    private DecoderCnnConverters() {}

    static void register(List<Rule> rules) {
        // Split-2 took sizes as attribute 'split'; 13 made them an operand; 18 added num_outputs.
        rules.add(new Rule("Split", 2, DecoderCnnConverters::split));
        rules.add(new Rule("Tile", 6, c -> c.produce("tile", List.of(c.input(0), c.input(1)), Map.of())));
        // A float Range's length depends on its values: CompositeConverters.floatRange needs them known.
        rules.add(new Rule("Range", 11, c -> {
            if (c.input(0).type().dtype().isFloat()) {
                CompositeConverters.floatRange(c);
            } else {
                c.produce("range", List.of(scalarOf(c, 0), scalarOf(c, 1), scalarOf(c, 2)), Map.of());
            }
        }));
        rules.add(new Rule("Trilu", 14, DecoderCnnConverters::trilu));
        rules.add(new Rule("CumSum", 11, c -> cumulative(c, "cumsum")));
        rules.add(new Rule("CumProd", 26, c -> cumulative(c, "cumprod")));
        // ArgMax-12 added select_last_index; 11 and earlier behave as its default.
        rules.add(new Rule("ArgMax", 1, c -> argmax(c, c.input(0))));
        rules.add(new Rule("ArgMin", 1, c -> argmax(c, c.emit("neg", List.of(c.input(0)), Map.of(), c.temp("neg")))));
        rules.add(new Rule("RMSNormalization", 23, DecoderCnnConverters::rmsNorm));
        // BatchNormalization-9 dropped the 'spatial' attribute of 7.
        rules.add(new Rule("BatchNormalization", 9, DecoderCnnConverters::batchNorm));
        rules.add(new Rule("Conv", 1, c -> window(c, "conv", 3)));
        // MaxPool-8 added the indices output (see MaxPoolIndices), -10 ceil_mode, -11 pads semantics.
        rules.add(new Rule("MaxPool", 8, c -> window(c, "max_pool", 1)));
        rules.add(new Rule("AveragePool", 7, c -> window(c, "average_pool", 1)));
        rules.add(
                new Rule("GlobalAveragePool", 1, c -> c.produce("global_average_pool", List.of(c.input(0)), Map.of())));
        rules.add(new Rule("GlobalMaxPool", 1, c -> c.produce("global_max_pool", List.of(c.input(0)), Map.of())));
        composedReduce(rules, "ReduceL1", "abs", null);
        composedReduce(rules, "ReduceSumSquare", "square", null);
        composedReduce(rules, "ReduceLogSum", null, "log");
        composedReduce(rules, "ReduceLogSumExp", "exp", "log");
    }

    /**
     * Range operand {@code i} as a scalar. The spec asks for scalars, but ONNX's own AffineGrid function
     * body passes a one-element vector as the limit, and ONNX Runtime and the reference accept it.
     */
    private static Value scalarOf(NodeContext c, int i) {
        Value v = c.input(i);
        if (v.type().rank() == 1 && v.type().dim(0).isFixed() && v.type().dim(0).value() == 1) {
            return c.emit("reshape", List.of(v), Map.of("shape", new Attr.Dims(List.of())), c.temp("scalar" + i));
        }
        return v;
    }

    private static void split(NodeContext c) {
        Map<String, Attr> attrs = new TreeMap<>();
        attrs.put("axis", new Attr.Int(c.attrs.intValue("axis", 0)));
        List<Value> in = new ArrayList<>(List.of(c.input(0)));
        if (c.opset >= 13 && c.hasInput(1)) {
            // Sizes known at import (constants, shape arithmetic) go straight to the folded form.
            var known = c.knownInts(c.input(1));
            if (known.isPresent()) {
                attrs.put("split", new Attr.Dims(known.get()));
            } else {
                in.add(c.input(1));
            }
        } else if (c.opset < 13 && c.attrs.has("split")) {
            long[] sizes = c.attrs.ints("split").orElseThrow();
            attrs.put(
                    "split",
                    new Attr.Dims(java.util.Arrays.stream(sizes)
                            .mapToObj(fsc.ir.Dim::of)
                            .toList()));
        } else {
            long n = c.attrs.intValue("num_outputs", c.node.getOutputCount());
            attrs.put("num_outputs", new Attr.Int(n));
        }
        c.produceAll("split", in, attrs);
    }

    /** The backend takes {@code k} as an attribute, so an operand k must be known at compile time. */
    private static void trilu(NodeContext c) {
        Map<String, Attr> attrs = new TreeMap<>();
        attrs.put("upper", new Attr.Int(c.attrs.intValue("upper", 1)));
        if (c.hasInput(1)) {
            Value k = c.input(1);
            var known = c.knownInts(k).filter(v -> v.size() == 1 && v.getFirst().isFixed());
            if (known.isEmpty()) {
                throw new fsc.ir.FscException(
                        c.where + ": k ('" + k.name() + "') must be known at compile time",
                        "bind it with --bind " + k.name() + "=FILE");
            }
            attrs.put("k", new Attr.Int(known.get().getFirst().value()));
        }
        c.produce("trilu", List.of(c.input(0)), attrs);
    }

    /** CumSum and CumProd: the backend scans one axis given as an attribute, so the axis operand must be known. */
    private static void cumulative(NodeContext c, String ir) {
        Map<String, Attr> attrs = new TreeMap<>();
        attrs.put("axis", new Attr.Int(KnownOperands.scalar(c, 1, "the axis")));
        attrs.put("exclusive", new Attr.Int(c.attrs.intValue("exclusive", 0)));
        attrs.put("reverse", new Attr.Int(c.attrs.intValue("reverse", 0)));
        c.produce(ir, List.of(c.input(0)), attrs);
    }

    private static void argmax(NodeContext c, Value x) {
        Map<String, Attr> attrs = new TreeMap<>();
        attrs.put("axis", new Attr.Int(c.attrs.intValue("axis", 0)));
        attrs.put("keepdims", new Attr.Int(c.attrs.intValue("keepdims", 1)));
        attrs.put("select_last_index", new Attr.Int(c.attrs.intValue("select_last_index", 0)));
        c.produce("argmax", List.of(x), attrs);
    }

    private static void rmsNorm(NodeContext c) {
        Map<String, Attr> attrs = new TreeMap<>();
        attrs.put("axis", new Attr.Int(c.attrs.intValue("axis", -1)));
        attrs.put("epsilon", new Attr.Float(c.attrs.floatValue("epsilon").orElse(1e-5)));
        c.produce("rms_norm", List.of(c.input(0), c.input(1)), attrs);
    }

    private static void batchNorm(NodeContext c) {
        if (c.attrs.intValue("training_mode", 0) != 0) {
            BatchNormTraining.convert(c);
            return;
        }
        List<Value> in = List.of(c.input(0), c.input(1), c.input(2), c.input(3), c.input(4));
        c.produce(
                "batch_norm",
                in,
                Map.of("epsilon", new Attr.Float(c.attrs.floatValue("epsilon").orElse(1e-5))));
    }

    /** Conv and the pools share ONNX's window attributes, which the IR takes under the same names. */
    private static void window(NodeContext c, String op, int maxInputs) {
        if (op.equals("max_pool")
                && c.node.getOutputCount() > 1
                && !c.outputName(1).isEmpty()) {
            MaxPoolIndices.convert(c);
            return;
        }
        Map<String, Attr> attrs = new TreeMap<>();
        for (String name : List.of("kernel_shape", "strides", "pads", "dilations")) {
            c.attrs.ints(name).ifPresent(v -> attrs.put(name, Attr.ints(v)));
        }
        c.attrs.string("auto_pad").ifPresent(v -> attrs.put("auto_pad", new Attr.Str(v)));
        for (String name : List.of("group", "ceil_mode", "count_include_pad")) {
            c.attrs.intValue(name).ifPresent(v -> attrs.put(name, new Attr.Int(v)));
        }
        List<Value> in = new ArrayList<>(List.of(c.input(0)));
        for (int i = 1; i < maxInputs; i++) {
            if (c.hasInput(i)) {
                in.add(c.input(i));
            }
        }
        c.produce(op, in, attrs);
    }

    /**
     * {@code after(reduce_sum(before(x)))} with ReduceSum's axes handling: an attribute before
     * opset 18, an optional operand from 18 on.
     */
    private static void composedReduce(List<Rule> rules, String onnx, String before, String after) {
        rules.add(new Rule(onnx, 1, c -> {
            Value x = c.input(0);
            if (before != null) {
                x = before.equals("square")
                        ? c.emit("mul", List.of(x, x), Map.of(), c.temp("square"))
                        : c.emit(before, List.of(x), Map.of(), c.temp(before));
            }
            Map<String, Attr> attrs = new TreeMap<>();
            c.attrs.intValue("keepdims").ifPresent(k -> attrs.put("keepdims", new Attr.Int(k)));
            List<Value> in = new ArrayList<>(List.of(x));
            if (c.opset < 18) {
                c.attrs.ints("axes").ifPresent(a -> attrs.put("axes", Attr.ints(a)));
            } else {
                c.attrs
                        .intValue("noop_with_empty_axes")
                        .ifPresent(n -> attrs.put("noop_with_empty_axes", new Attr.Int(n)));
                c.optionalInput(1).ifPresent(in::add);
            }
            if (after == null) {
                c.produce("reduce_sum", in, attrs);
                return;
            }
            Value s = c.emit("reduce_sum", in, attrs, c.temp("sum"));
            c.produce(after, List.of(s), Map.of());
        }));
    }
}
