package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Pad, axis by axis: the positions taken from the input (edge, reflect and wrap modes, and
 * cropping by negative pads) are one {@code gather} with indices computed here; constant mode
 * concatenates blocks of the pad value (an operand, so it may be a run-time input) around them.
 * The pads and axes must be known at compile time; a symbolic axis takes constant mode with pads
 * of at least 0 (its size becomes a sum, {@code S+3}).
 */
final class PadConverter {
    private PadConverter() {}

    static void register(List<Rule> rules) {
        // Pad-2 took pads and value as attributes; 11 made them operands; 18 added axes; 19 'wrap'.
        rules.add(new Rule("Pad", 2, PadConverter::pad));
    }

    private static void pad(NodeContext c) {
        Value x = c.input(0);
        int rank = x.type().rank();
        String mode = c.attrs.string("mode").orElse("constant");
        long[] pads;
        Value fill;
        long[] axes;
        if (c.opset < 11) {
            pads = c.attrs.ints("pads").orElseThrow(() -> c.fail("needs attribute 'pads'"));
            fill = ActivationConverters.scalar(
                    c, "value", x.dtype(), c.attrs.floatValue("value").orElse(0.0));
            axes = null;
        } else {
            pads = longs(c, c.input(1), "pads");
            fill = c.hasInput(2) ? c.input(2) : ActivationConverters.scalar(c, "value", x.dtype(), 0);
            axes = c.hasInput(3) ? longs(c, c.input(3), "axes") : null;
        }
        if (axes == null) {
            axes = new long[rank];
            for (int i = 0; i < rank; i++) {
                axes[i] = i;
            }
        }
        if (pads.length != 2 * axes.length) {
            throw c.fail("needs " + 2 * axes.length + " pads, got " + pads.length);
        }
        Value cur = x;
        for (int j = 0; j < axes.length; j++) {
            int axis = (int) (axes[j] < 0 ? axes[j] + rank : axes[j]);
            long begin = pads[j];
            long end = pads[j + axes.length];
            if (begin != 0 || end != 0) {
                cur = padAxis(c, cur, axis, begin, end, mode, fill, "axis" + axis);
            }
        }
        c.produce("identity", List.of(cur), Map.of());
    }

    private static Value padAxis(
            NodeContext c, Value x, int axis, long begin, long end, String mode, Value fill, String tag) {
        Dim d = x.type().dim(axis);
        boolean constant = mode.equals("constant");
        if (!d.isFixed() && constant && begin >= 0 && end >= 0) {
            // Only blocks of the value around the whole input: a sum such as S+3, no gather needed.
            List<Value> parts = new ArrayList<>();
            if (begin > 0) {
                parts.add(block(c, fill, x, axis, begin, tag + "_before"));
            }
            parts.add(x);
            if (end > 0) {
                parts.add(block(c, fill, x, axis, end, tag + "_after"));
            }
            return c.emit("concat", parts, Map.of("axis", new Attr.Int(axis)), c.temp(tag + "_padded"));
        }
        if (!d.isFixed() && !constant && begin >= 0 && end >= 0) {
            return padSymbolic(c, x, axis, begin, end, mode, tag);
        }
        if (!d.isFixed()) {
            throw new FscException(
                    c.where + ": pads a symbolic dimension " + d + " of " + x.type(),
                    "compile for fixed input sizes with --shape NAME=DIMS (fsc run MODEL.onnx does so for the"
                            + " inputs it is given)");
        }
        long n = d.value();
        // Constant mode takes only the kept input positions here; the value blocks come after.
        long from = constant ? Math.max(0, -begin) : -begin;
        long to = constant ? n + Math.min(0, end) : n + end;
        long[] idx = new long[(int) Math.max(0, to - from)];
        for (int k = 0; k < idx.length; k++) {
            idx[k] = source(from + k, n, mode, c);
        }
        Value kept = x;
        if (!(from == 0 && to == n)) {
            Value indices = c.constant(tag + "_indices", i64(idx));
            kept = c.emit("gather", List.of(x, indices), Map.of("axis", new Attr.Int(axis)), c.temp(tag + "_gathered"));
        }
        if (!constant || (begin <= 0 && end <= 0)) {
            return kept;
        }
        List<Value> parts = new ArrayList<>();
        if (begin > 0) {
            parts.add(block(c, fill, kept, axis, begin, tag + "_before"));
        }
        parts.add(kept);
        if (end > 0) {
            parts.add(block(c, fill, kept, axis, end, tag + "_after"));
        }
        return c.emit("concat", parts, Map.of("axis", new Attr.Int(axis)), c.temp(tag + "_padded"));
    }

    /**
     * Edge, reflect and wrap padding of a symbolic axis: each pad block is a gather of fixed indices,
     * negative ones counting from the end as ONNX Gather's do, so no index depends on the size.
     * Reflect's {@code begin} block reads {@code begin, ..., 1} and its {@code end} block {@code -2,
     * ..., -(end+1)}; edge repeats {@code 0} and {@code -1}; wrap reads {@code -begin, ..., -1} and
     * {@code 0, ..., end-1}. As in ONNX Runtime, the input must be longer than either pad.
     */
    private static Value padSymbolic(NodeContext c, Value x, int axis, long begin, long end, String mode, String tag) {
        List<Value> parts = new ArrayList<>();
        if (begin > 0) {
            long[] idx = new long[(int) begin];
            for (int k = 0; k < idx.length; k++) {
                idx[k] = switch (mode) {
                    case "reflect" -> begin - k;
                    case "edge" -> 0;
                    case "wrap" -> k - begin;
                    default -> throw c.fail("unknown mode '" + mode + "'");
                };
            }
            parts.add(pick(c, x, axis, idx, tag + "_before"));
        }
        parts.add(x);
        if (end > 0) {
            long[] idx = new long[(int) end];
            for (int k = 0; k < idx.length; k++) {
                idx[k] = switch (mode) {
                    case "reflect" -> -2 - k;
                    case "edge" -> -1;
                    case "wrap" -> k;
                    default -> throw c.fail("unknown mode '" + mode + "'");
                };
            }
            parts.add(pick(c, x, axis, idx, tag + "_after"));
        }
        return c.emit("concat", parts, Map.of("axis", new Attr.Int(axis)), c.temp(tag + "_padded"));
    }

    private static Value pick(NodeContext c, Value x, int axis, long[] idx, String tag) {
        Value indices = c.constant(tag + "_indices", i64(idx));
        return c.emit("gather", List.of(x, indices), Map.of("axis", new Attr.Int(axis)), c.temp(tag));
    }

    /** The input position output position {@code p} (relative to the input's start) reads. */
    private static long source(long p, long n, String mode, NodeContext c) {
        return switch (mode) {
            case "constant" -> p;
            case "edge" -> Math.clamp(p, 0, n - 1);
            case "wrap" -> Math.floorMod(p, n);
            case "reflect" -> {
                if (n == 1) {
                    yield 0;
                }
                long period = 2 * (n - 1);
                long m = Math.floorMod(p, period);
                yield m < n ? m : period - m;
            }
            default -> throw c.fail("unknown mode '" + mode + "'");
        };
    }

    /** The pad value broadcast to {@code x}'s shape with {@code size} along {@code axis}. */
    private static Value block(NodeContext c, Value fill, Value x, int axis, long size, String tag) {
        List<Dim> dims = new ArrayList<>(x.type().dims());
        dims.set(axis, Dim.of(size));
        List<Dim> ones = new ArrayList<>();
        for (int i = 0; i < dims.size(); i++) {
            ones.add(Dim.of(1));
        }
        Value scalar = c.emit("reshape", List.of(fill), Map.of("shape", new Attr.Dims(ones)), c.temp(tag + "_value"));
        return c.emit("expand", List.of(scalar), Map.of("shape", new Attr.Dims(dims)), c.temp(tag));
    }

    private static long[] longs(NodeContext c, Value v, String role) {
        var known = c.knownInts(v);
        if (known.isPresent() && known.get().stream().allMatch(Dim::isFixed)) {
            return known.get().stream().mapToLong(Dim::value).toArray();
        }
        WeightData w = c.requiredData(v)
                .orElseThrow(() -> new FscException(
                        c.where + ": " + role + " ('" + v.name() + "') must be known at compile time",
                        "bind it with --bind " + v.name() + "=FILE"));
        ByteBuffer b = w.view().order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[(int) w.elementCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (w.dtype()) {
                case I64 -> b.getLong(i * 8);
                case I32 -> b.getInt(i * 4);
                default -> throw c.fail(role + " must be i64, got " + w.type());
            };
        }
        return out;
    }

    private static WeightData i64(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return new WeightData(DType.I64, List.of((long) values.length), b.flip());
    }
}
