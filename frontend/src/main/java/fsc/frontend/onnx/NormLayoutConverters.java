package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * CNN normalisations and pixel shuffles written with IR reductions, reshapes and transposes:
 * InstanceNormalization and GroupNormalization normalise over the spatial axes (of a channel
 * group) and then apply a per-channel scale and bias; DepthToSpace and SpaceToDepth are a reshape
 * to six dimensions, a transpose and a reshape back.
 */
final class NormLayoutConverters {
    private NormLayoutConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("InstanceNormalization", 6, NormLayoutConverters::instanceNorm));
        // GroupNormalization-21 takes per-channel scale and bias (18 took them per group).
        rules.add(new Rule("GroupNormalization", 21, NormLayoutConverters::groupNorm));
        rules.add(new Rule("DepthToSpace", 11, NormLayoutConverters::depthToSpace));
        rules.add(new Rule("SpaceToDepth", 1, NormLayoutConverters::spaceToDepth));
    }

    private static void instanceNorm(NodeContext c) {
        Value x = c.input(0);
        double eps = c.attrs.floatValue("epsilon").orElse(1e-5);
        Value normalised = normalise(c, x, 2, eps, "normalised");
        c.define(0, affine(c, normalised, c.input(1), c.input(2), c.outputName(0)));
    }

    private static void groupNorm(NodeContext c) {
        Value x = c.input(0);
        long groups = c.attrs.intValue("num_groups").orElseThrow(() -> c.fail("needs attribute 'num_groups'"));
        double eps = c.attrs.floatValue("epsilon").orElse(1e-5);
        List<Dim> dims = x.type().dims();
        Dim perGroup = dims.get(1)
                .dividedBy(Dim.of(groups))
                .orElseThrow(() -> c.fail(groups + " groups do not divide the channels of " + x.type()));
        List<Dim> rest = new ArrayList<>(List.of(perGroup));
        rest.addAll(dims.subList(2, dims.size()));
        List<Dim> grouped = List.of(dims.get(0), Dim.of(groups), Dim.product(rest));
        Value g = c.emit("reshape", List.of(x), Map.of("shape", new Attr.Dims(grouped)), c.temp("grouped"));
        Value n = normalise(c, g, 2, eps, "normalised");
        Value back = c.emit("reshape", List.of(n), Map.of("shape", new Attr.Dims(dims)), c.temp("ungrouped"));
        c.define(0, affine(c, back, c.input(1), c.input(2), c.outputName(0)));
    }

    /** {@code (x - mean) / sqrt(var + eps)} over the axes from {@code from} on. */
    private static Value normalise(NodeContext c, Value x, int from, double eps, String name) {
        int rank = x.type().rank();
        long[] axes = new long[rank - from];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = from + i;
        }
        Map<String, Attr> reduce = Map.of("axes", Attr.ints(axes), "keepdims", new Attr.Int(1));
        Value mean = c.emit("reduce_mean", List.of(x), reduce, c.temp(name + "_mean"));
        Value d = c.emit("sub", List.of(x, mean), Map.of(), c.temp(name + "_centered"));
        Value d2 = c.emit("mul", List.of(d, d), Map.of(), c.temp(name + "_squared"));
        Value var = c.emit("reduce_mean", List.of(d2), reduce, c.temp(name + "_variance"));
        Value epsilon = ActivationConverters.scalar(c, name + "_epsilon", x.dtype(), eps);
        Value ve = c.emit("add", List.of(var, epsilon), Map.of(), c.temp(name + "_variance_eps"));
        Value sd = c.emit("sqrt", List.of(ve), Map.of(), c.temp(name + "_std"));
        return c.emit("div", List.of(d, sd), Map.of(), c.temp(name));
    }

    /** {@code x * scale + bias} with {@code [C]} scale and bias broadcast over axis 1. */
    private static Value affine(NodeContext c, Value x, Value scale, Value bias, String name) {
        List<Dim> shape = new ArrayList<>(List.of(x.type().dim(1)));
        for (int i = 2; i < x.type().rank(); i++) {
            shape.add(Dim.of(1));
        }
        Map<String, Attr> r = Map.of("shape", new Attr.Dims(shape));
        Value s = c.emit("reshape", List.of(scale), r, c.temp("scale_c"));
        Value b = c.emit("reshape", List.of(bias), r, c.temp("bias_c"));
        Value scaled = c.emit("mul", List.of(x, s), Map.of(), c.temp("scaled"));
        return c.emit("add", List.of(scaled, b), Map.of(), name);
    }

    private static void depthToSpace(NodeContext c) {
        Value x = c.input(0);
        long b = c.attrs.intValue("blocksize").orElseThrow(() -> c.fail("needs attribute 'blocksize'"));
        boolean crd = c.attrs.string("mode").orElse("DCR").equals("CRD");
        List<Dim> d = dims4(c, x);
        Dim bd = Dim.of(b);
        Dim cOut = d.get(1)
                .dividedBy(Dim.of(b * b))
                .orElseThrow(() -> c.fail("blocksize " + b + " does not divide the channels of " + x.type()));
        List<Dim> six = crd
                ? List.of(d.get(0), cOut, bd, bd, d.get(2), d.get(3))
                : List.of(d.get(0), bd, bd, cOut, d.get(2), d.get(3));
        long[] perm = crd ? new long[] {0, 1, 4, 2, 5, 3} : new long[] {0, 3, 4, 1, 5, 2};
        List<Dim> out = List.of(d.get(0), cOut, d.get(2).times(bd), d.get(3).times(bd));
        shuffle(c, x, six, perm, out);
    }

    private static void spaceToDepth(NodeContext c) {
        Value x = c.input(0);
        long b = c.attrs.intValue("blocksize").orElseThrow(() -> c.fail("needs attribute 'blocksize'"));
        List<Dim> d = dims4(c, x);
        Dim bd = Dim.of(b);
        Dim h = d.get(2).dividedBy(bd).orElseThrow(() -> c.fail("blocksize " + b + " does not divide " + x.type()));
        Dim w = d.get(3).dividedBy(bd).orElseThrow(() -> c.fail("blocksize " + b + " does not divide " + x.type()));
        List<Dim> six = List.of(d.get(0), d.get(1), h, bd, w, bd);
        List<Dim> out = List.of(d.get(0), d.get(1).times(Dim.of(b * b)), h, w);
        shuffle(c, x, six, new long[] {0, 3, 5, 1, 2, 4}, out);
    }

    private static List<Dim> dims4(NodeContext c, Value x) {
        if (x.type().rank() != 4) {
            throw c.fail("needs a 4-D [N, C, H, W] input, got " + x.type());
        }
        return x.type().dims();
    }

    private static void shuffle(NodeContext c, Value x, List<Dim> six, long[] perm, List<Dim> out) {
        Value r = c.emit("reshape", List.of(x), Map.of("shape", new Attr.Dims(six)), c.temp("blocks"));
        Value t = c.emit("transpose", List.of(r), Map.of("perm", Attr.ints(perm)), c.temp("shuffled"));
        c.produce("reshape", List.of(t), Map.of("shape", new Attr.Dims(out)));
    }
}
