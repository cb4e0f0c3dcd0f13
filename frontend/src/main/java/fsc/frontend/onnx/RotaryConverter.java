package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * RotaryEmbedding-23 as ONNX's reference computes it: heads moved to {@code [B, S, H, D]}, the
 * first {@code rotary_embedding_dim} features split in halves (or even/odd lanes when interleaved),
 * rotated by the cos/sin rows of each position, and put back.
 */
final class RotaryConverter {
    private RotaryConverter() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("RotaryEmbedding", 23, RotaryConverter::convert));
    }

    private static void convert(NodeContext c) {
        Value x = c.input(0);
        Value cosCache = c.input(1);
        Value sinCache = c.input(2);
        Value positions = c.optionalInput(3).orElse(null);
        boolean interleaved = c.attrs.intValue("interleaved", 0) != 0;
        List<Dim> original = x.type().dims();
        Value bshd;
        if (x.type().rank() == 4) {
            bshd = emit(c, "transpose", List.of(x), Map.of("perm", Attr.ints(0, 2, 1, 3)), "bshd");
        } else {
            long heads = c.attrs.intValue("num_heads").orElseThrow(() -> c.fail("3-D input needs num_heads"));
            Dim size = original.get(2)
                    .dividedBy(Dim.of(heads))
                    .orElseThrow(() -> c.fail(heads + " heads do not divide " + x.type()));
            bshd = emit(
                    c,
                    "reshape",
                    List.of(x),
                    Map.of("shape", new Attr.Dims(List.of(original.get(0), original.get(1), Dim.of(heads), size))),
                    "bshd");
        }
        Dim headDim = bshd.type().dim(3);
        if (!headDim.isFixed()) {
            throw c.fail("needs a fixed head size, got " + x.type());
        }
        long head = headDim.value();
        long rot = c.attrs.intValue("rotary_embedding_dim", 0);
        rot = rot == 0 ? head : rot;
        long half = rot / 2;

        Value cos = positions == null
                ? cosCache
                : emit(c, "gather", List.of(cosCache, positions), Map.of("axis", new Attr.Int(0)), "cos_rows");
        Value sin = positions == null
                ? sinCache
                : emit(c, "gather", List.of(sinCache, positions), Map.of("axis", new Attr.Int(0)), "sin_rows");
        cos = emit(
                c,
                "unsqueeze",
                List.of(slice(c, cos, 2, 0, half, 1, "cos_half")),
                Map.of("axes", Attr.ints(2)),
                "cos_b");
        sin = emit(
                c,
                "unsqueeze",
                List.of(slice(c, sin, 2, 0, half, 1, "sin_half")),
                Map.of("axes", Attr.ints(2)),
                "sin_b");

        Value rotate = rot == head ? bshd : slice(c, bshd, 3, 0, rot, 1, "rotated_part");
        Value x1 = interleaved ? slice(c, rotate, 3, 0, rot, 2, "x_even") : slice(c, rotate, 3, 0, half, 1, "x_first");
        Value x2 =
                interleaved ? slice(c, rotate, 3, 1, rot, 2, "x_odd") : slice(c, rotate, 3, half, rot, 1, "x_second");
        Value real = emit(c, "sub", List.of(mul(c, cos, x1, "cos_x1"), mul(c, sin, x2, "sin_x2")), Map.of(), "real");
        Value imag = emit(c, "add", List.of(mul(c, sin, x1, "sin_x1"), mul(c, cos, x2, "cos_x2")), Map.of(), "imag");
        Value rotated;
        if (interleaved) {
            Value r = emit(c, "unsqueeze", List.of(real), Map.of("axes", Attr.ints(-1)), "real_lane");
            Value i = emit(c, "unsqueeze", List.of(imag), Map.of("axes", Attr.ints(-1)), "imag_lane");
            Value pairs = emit(c, "concat", List.of(r, i), Map.of("axis", new Attr.Int(-1)), "pairs");
            rotated = emit(
                    c,
                    "reshape",
                    List.of(pairs),
                    Map.of("shape", new Attr.Dims(rotate.type().dims())),
                    "rotated");
        } else {
            rotated = emit(c, "concat", List.of(real, imag), Map.of("axis", new Attr.Int(-1)), "rotated");
        }
        Value out = rotated;
        if (rot != head) {
            Value rest = slice(c, bshd, 3, rot, head, 1, "kept_part");
            out = emit(c, "concat", List.of(rotated, rest), Map.of("axis", new Attr.Int(-1)), "joined");
        }
        if (x.type().rank() == 4) {
            c.produce("transpose", List.of(out), Map.of("perm", Attr.ints(0, 2, 1, 3)));
        } else {
            c.produce("reshape", List.of(out), Map.of("shape", new Attr.Dims(original)));
        }
    }

    private static Value emit(NodeContext c, String op, List<Value> in, Map<String, Attr> attrs, String suffix) {
        return c.emit(op, in, attrs, c.temp(suffix));
    }

    private static Value mul(NodeContext c, Value a, Value b, String suffix) {
        return emit(c, "mul", List.of(a, b), Map.of(), suffix);
    }

    /** {@code x[..., start:end:step]} along {@code axis} (folded slice). */
    private static Value slice(NodeContext c, Value x, int axis, long start, long end, long step, String suffix) {
        return emit(
                c,
                "slice",
                List.of(x),
                Map.of(
                        "starts",
                        new Attr.Dims(List.of(Dim.of(start))),
                        "ends",
                        new Attr.Dims(List.of(Dim.of(end))),
                        "axes",
                        Attr.ints(axis),
                        "steps",
                        Attr.ints(step)),
                suffix);
    }
}
