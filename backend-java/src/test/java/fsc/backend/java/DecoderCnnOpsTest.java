package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static fsc.backend.java.TestGraphs.type;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ops decoders and CNNs add: norms, activations, split, tile, trilu, cumsum, argmax, range, pools. */
class DecoderCnnOpsTest {
    @TempDir
    Path dir;

    @Test
    void decoderOps() throws Exception {
        GraphBuilder b = new GraphBuilder("decoder_ops").symbol("S", 16);
        Value x = b.input("x", f32(2, "S", 12));
        Value ix = b.input("ix", type(DType.I64, 3, 5));
        Value scale = b.constant("scale", TestGraphs.randomWeight(60, 12));
        b.output(b.node("rms_norm", "rms", List.of(x, scale), attrs("epsilon", new Attr.Float(1e-6))));
        b.output(b.node("silu", "silu", List.of(x), Map.of()));
        b.output(b.node("clip", "clip", List.of(x), attrs("min", new Attr.Float(-0.25), "max", new Attr.Float(0.5))));
        b.output(b.node("clip", "clip_low", List.of(ix), attrs("min", new Attr.Float(1))));
        List<Value> parts = b.node(
                "split",
                "split",
                List.of(x),
                attrs("axis", new Attr.Int(2), "split", new Attr.Dims(List.of(Dim.of(3), Dim.of(4), Dim.of(5)))),
                List.of("p0", "p1", "p2"));
        parts.forEach(b::output);
        b.output(b.node("trilu", "lower", List.of(x), attrs("upper", new Attr.Int(0), "k", new Attr.Int(1))));
        b.output(b.node("trilu", "upper", List.of(ix), Map.of()));
        b.output(b.node("cumsum", "cumsum", List.of(x), attrs("axis", new Attr.Int(1))));
        b.output(b.node(
                "cumsum",
                "cumsum_rev",
                List.of(ix),
                attrs("axis", new Attr.Int(1), "exclusive", new Attr.Int(1), "reverse", new Attr.Int(1))));
        b.output(b.node("argmax", "argmax", List.of(x), attrs("axis", new Attr.Int(-1), "keepdims", new Attr.Int(0))));
        b.output(b.node("tile", "tile", List.of(ix), attrs("repeats", Attr.ints(2, 3))));
        Value start = b.constant("start", HostTensor.ofLongs(new long[0], 3).toWeight());
        Value limit = b.constant("limit", HostTensor.ofLongs(new long[0], 40).toWeight());
        Value delta = b.constant("delta", HostTensor.ofLongs(new long[0], 5).toWeight());
        b.output(b.node("range", "range", List.of(start, limit, delta), Map.of()));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("S", 7L), 61), 1e-5);
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of("S", 16L), 62), 1e-5);
        }
    }

    @Test
    void cnnOps() throws Exception {
        GraphBuilder b = new GraphBuilder("cnn_ops");
        Value x = b.input("x", f32(2, 3, 5, 7));
        Value scale = b.constant("scale", TestGraphs.randomWeight(70, 3));
        Value bias = b.constant("bias", TestGraphs.randomWeight(71, 3));
        Value mean = b.constant("mean", TestGraphs.randomWeight(72, 3));
        Value var = b.constant(
                "var", HostTensor.ofFloats(new long[] {3}, 0.5f, 1f, 2f).toWeight());
        b.output(b.node("batch_norm", "bn", List.of(x, scale, bias, mean, var), Map.of()));
        b.output(b.node("global_average_pool", "gap", List.of(x), Map.of()));
        b.output(b.node("global_max_pool", "gmp", List.of(x), Map.of()));
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 73), 1e-5);
        }
    }

    /** Graphs whose shape operands are bound inputs keep ONNX's operand forms; constants there are read directly. */
    @Test
    void operandFormsWithConstantOperands() throws Exception {
        GraphBuilder b = new GraphBuilder("operand_forms");
        Value x = b.input("x", f32(3, 6));
        Value ix = b.input("ix", type(DType.I32, 4, 3));
        Value axis = b.constant("axis", HostTensor.ofLongs(new long[0], 1).toWeight());
        Value k = b.constant("k", HostTensor.ofLongs(new long[0], -1).toWeight());
        Value repeats =
                b.constant("repeats", HostTensor.ofLongs(new long[] {2}, 2, 1).toWeight());
        Value sizes =
                b.constant("sizes", HostTensor.ofLongs(new long[] {2}, 2, 4).toWeight());
        Value lo = b.constant("lo", TestGraphs.scalar(-0.5f));
        Value hi = b.constant("hi", TestGraphs.scalar(0.25f));
        b.output(b.node("cumsum", "cumsum", List.of(ix, axis), Map.of()));
        b.output(b.node("trilu", "trilu", List.of(x, k), Map.of()));
        b.output(b.node("tile", "tile", List.of(x, repeats), Map.of()));
        b.output(b.node("clip", "clip", List.of(x, lo, hi), Map.of()));
        b.node("split", "split", List.of(x, sizes), attrs("axis", new Attr.Int(1)), List.of("s0", "s1"))
                .forEach(b::output);
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 74), 1e-6);
        }
    }
}
