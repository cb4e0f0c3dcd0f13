package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code quantize} pass's lowering of ONNX's quantization ops (as the ONNX frontend imports
 * them, one node each) to what the later passes and the backends work on. Integer products stay
 * integers: {@code matmul_integer} and {@code qlinear_matmul} become an i32 {@code matmul} of the
 * zero-point-centred operands, the form {@code quant-gemm} lowers onto {@code matmul_int8} once
 * {@code fold} has made a constant weight's cast and zero-point {@code sub} one i32 constant; only the
 * requantisation of QLinearMatMul's accumulator, and quantize/dequantize themselves, compute in f32
 * (round half to even, saturate to the target type) as ONNX specifies. {@code
 * dynamic_quantize_linear} becomes the element-wise chain {@code quant-gemm} recognises as {@code
 * dynamic_quantize} (and that a backend without that kernel runs as it is). The convolutions are
 * {@link QuantConvLowering}'s. A static QDQ linear layer (a matmul of a dequantized activation by a
 * dequantized constant weight) becomes the MatMulInteger form as a whole ({@link QdqMatMul}).
 *
 * <pre>
 * %y: f32[4,3] = dequantize_linear(%x, %s, %zp) {axis = 1}       // %x: u8[4,3], %s: f32[3], %zp: u8[3]
 *   ⇒
 * %y/scale_axis: f32[3] = reshape(%s) {shape = [3]}    (only when axis is not the last)
 * %y/x_f32 = cast(%x) {to = f32}   %y/zp_f32 = cast(%zp) {to = f32}
 * %y/centered = sub(%y/x_f32, %y/zp_f32)
 * %y = mul(%y/centered, %s)
 * </pre>
 *
 * Each op is lowered to the nodes, in the order, that the ONNX frontend wrote for it before these
 * ops existed, so models give the same bits as then (all but the static QDQ matmuls, which were
 * f32 matmuls of dequantized values); the reference interpreter's kernels for the ops compute each
 * f32 step in that order too.
 */
final class QuantLinearLowering {
    private QuantLinearLowering() {}

    static final Set<String> OPS = Set.of(
            "quantize_linear",
            "dequantize_linear",
            "dynamic_quantize_linear",
            "matmul_integer",
            "qlinear_matmul",
            "conv_integer",
            "qlinear_conv");

    /**
     * {@code g} with every op of {@link #OPS} lowered, static QDQ matmuls as a whole when {@code
     * qdqOnInt8}; {@code g} itself when it has none.
     */
    static Graph run(Graph g, boolean qdqOnInt8) {
        if (g.nodes().stream().noneMatch(n -> OPS.contains(n.op()))) {
            return g;
        }
        Set<String> names = new HashSet<>(g.weights().byName().keySet());
        g.inputs().forEach(v -> names.add(v.name()));
        g.constants().forEach(c -> names.add(c.value().name()));
        g.nodes().forEach(n -> n.outputs().forEach(v -> names.add(v.name())));
        List<Node> nodes = new ArrayList<>();
        List<Constant> constants = new ArrayList<>(g.constants());
        TreeMap<String, WeightData> weights = new TreeMap<>();
        Map<Node, Node[]> qdq = qdqOnInt8 ? QdqMatMul.matches(g) : Map.of();
        Set<Node> absorbed = QdqMatMul.absorbed(g, qdq);
        for (Node n : g.nodes()) {
            if (absorbed.contains(n)) {
                continue;
            }
            if (qdq.containsKey(n)) {
                QdqMatMul.lower(new Expansion(n, names, nodes, constants, weights), qdq.get(n));
                continue;
            }
            if (!OPS.contains(n.op())) {
                nodes.add(n);
                continue;
            }
            Expansion e = new Expansion(n, names, nodes, constants, weights);
            switch (n.op()) {
                case "quantize_linear" -> quantize(e);
                case "dequantize_linear" -> dequantize(e);
                case "dynamic_quantize_linear" -> dynamicQuantize(e);
                case "matmul_integer" -> matmulInteger(e);
                case "qlinear_matmul" -> qlinearMatmul(e);
                case "conv_integer" -> QuantConvLowering.convInteger(e);
                case "qlinear_conv" -> QuantConvLowering.qlinearConv(e);
                default -> throw new IllegalStateException(n.op());
            }
        }
        return g.withBody(constants, nodes, g.outputs(), g.weights().with(weights));
    }

    private static void dequantize(Expansion e) {
        Node n = e.node;
        Value x = n.input(0);
        int axis = axis(n, x);
        // The output has the scale's type; a 16-bit scale is widened, the product computed in f32 and rounded back.
        DType outType = n.input(1).dtype();
        Value scaleF = outType == DType.F32 ? n.input(1) : e.cast(n.input(1), DType.F32, "scale_f32");
        Value scale = perAxis(e, scaleF, x, axis, "scale");
        Value xf = e.cast(x, DType.F32, "x_f32");
        if (n.inputs().size() > 2) {
            Value zp = perAxis(e, e.cast(n.input(2), DType.F32, "zp_f32"), x, axis, "zp");
            xf = e.emit("sub", List.of(xf, zp), Map.of(), "centered");
        }
        if (outType == DType.F32) {
            e.produce("mul", List.of(xf, scale), Map.of(), n.output());
        } else {
            Value y = e.emit("mul", List.of(xf, scale), Map.of(), "y_f32");
            e.produce("cast", List.of(y), Map.of("to", new Attr.Type(outType)), n.output());
        }
    }

    private static void quantize(Expansion e) {
        Node n = e.node;
        Value x = n.input(0);
        int axis = axis(n, x);
        DType target = n.typeAttr("to");
        Value xf = e.cast(x, DType.F32, "x_f32");
        Value scale = perAxis(e, e.cast(n.input(1), DType.F32, "scale_f32"), x, axis, "scale");
        Value q = e.emit("div", List.of(xf, scale), Map.of(), "scaled");
        // Float targets (8- and 4-bit floats) are not rounded to integers: the cast rounds to the format.
        if (!target.isFloat()) {
            q = e.emit("round", List.of(q), Map.of(), "rounded");
        }
        if (n.inputs().size() > 2) {
            Value zp = perAxis(e, e.cast(n.input(2), DType.F32, "zp_f32"), x, axis, "zp");
            q = e.emit("add", List.of(q, zp), Map.of(), "shifted");
        }
        if (target.isFloat()) {
            // saturate (default 1) means the same as cast's for 8-bit float targets.
            Map<String, Attr> cast = new TreeMap<>(Map.of("to", new Attr.Type(target)));
            if (n.intAttr("saturate") != 1) {
                cast.put("saturate", new Attr.Int(n.intAttr("saturate")));
            }
            e.produce("cast", List.of(q), cast, n.output());
            return;
        }
        saturate(e, q, target, n.output());
    }

    /** {@code y = saturate(round(x / scale) + zp)} with scale and zero point from x's range including 0. */
    private static void dynamicQuantize(Expansion e) {
        Node n = e.node;
        Value x = n.input(0);
        long[] all = new long[x.type().rank()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        Map<String, Attr> reduce = Map.of("axes", Attr.ints(all), "keepdims", new Attr.Int(0));
        Value zero = e.scalar("zero", 0);
        Value lo = e.emit("min", List.of(e.emit("reduce_min", List.of(x), reduce, "min"), zero), Map.of(), "lo");
        Value hi = e.emit("max", List.of(e.emit("reduce_max", List.of(x), reduce, "max"), zero), Map.of(), "hi");
        Value range = e.emit("sub", List.of(hi, lo), Map.of(), "range");
        Value scale = n.outputs().get(1);
        e.produce("div", List.of(range, e.scalar("qmax", 255)), Map.of(), scale);
        Value loScaled = e.emit("div", List.of(lo, scale), Map.of(), "lo_scaled");
        Value zpF =
                e.emit("round", List.of(e.emit("neg", List.of(loScaled), Map.of(), "neg_lo")), Map.of(), "zp_rounded");
        Value zpClipped = clip(e, zpF, 0, 255, "zp_clipped");
        Value q = e.emit("round", List.of(e.emit("div", List.of(x, scale), Map.of(), "scaled")), Map.of(), "rounded");
        q = e.emit("add", List.of(q, zpClipped), Map.of(), "shifted");
        saturate(e, q, DType.U8, n.outputs().get(0));
        e.produce(
                "cast",
                List.of(zpClipped),
                Map.of("to", new Attr.Type(DType.U8)),
                n.outputs().get(2));
    }

    private static void matmulInteger(Expansion e) {
        Node n = e.node;
        Value a = centered(e, n.input(0), n.inputs().size() > 2 ? n.input(2) : null, true, "a");
        Value b = centered(e, n.input(1), n.inputs().size() > 3 ? n.input(3) : null, false, "b");
        e.produce("matmul", List.of(a, b), Map.of(), n.output());
    }

    private static void qlinearMatmul(Expansion e) {
        Node n = e.node;
        Value a = centered(e, n.input(0), n.input(2), true, "a");
        Value b = centered(e, n.input(3), n.input(5), false, "b");
        Value acc = e.emit("matmul", List.of(a, b), Map.of(), "acc");
        Value accF = e.cast(acc, DType.F32, "acc_f32");
        // Scales may be f16 (QLinearMatMul-21): the requantisation runs in f32 either way.
        Value ab = e.emit(
                "mul",
                List.of(e.cast(n.input(1), DType.F32, "a_scale_f32"), e.cast(n.input(4), DType.F32, "b_scale_f32")),
                Map.of(),
                "ab_scale");
        Value s = e.emit("div", List.of(ab, e.cast(n.input(6), DType.F32, "y_scale_f32")), Map.of(), "requant_scale");
        Value q = e.emit("round", List.of(e.emit("mul", List.of(accF, s), Map.of(), "scaled")), Map.of(), "rounded");
        q = e.emit("add", List.of(q, e.cast(n.input(7), DType.F32, "y_zp_f32")), Map.of(), "shifted");
        saturate(e, q, n.input(7).dtype(), n.output());
    }

    /** {@code i32(x) - i32(zp)}; a per-row zero point of {@code a} is a column vector. */
    static Value centered(Expansion e, Value x, Value zp, boolean rows, String tag) {
        Value xi = e.cast(x, DType.I32, tag + "_i32");
        if (zp == null) {
            return xi;
        }
        Value zi = e.cast(zp, DType.I32, tag + "_zp_i32");
        if (rows && zi.type().rank() == 1 && !zi.type().dim(0).equals(Dim.of(1))) {
            zi = e.emit("unsqueeze", List.of(zi), Map.of("axes", Attr.ints(1)), tag + "_zp_col");
        }
        return e.emit("sub", List.of(xi, zi), Map.of(), tag + "_centered");
    }

    private static int axis(Node n, Value x) {
        long a = n.intAttr("axis");
        int rank = Math.max(1, x.type().rank());
        return (int) (a < 0 ? a + rank : a);
    }

    /** A 1-D per-channel parameter reshaped to broadcast along {@code axis} of x; scalars as they are. */
    private static Value perAxis(Expansion e, Value p, Value x, int axis, String tag) {
        long block = e.node.intAttr("block_size");
        if (block != 0) {
            return blocks(e, p, x, axis, block, tag);
        }
        if (p.type().rank() == 0 || (p.type().rank() == 1 && p.type().dim(0).equals(Dim.of(1)))) {
            return p;
        }
        List<Dim> shape = new ArrayList<>(List.of(p.type().dim(0)));
        for (int i = axis + 1; i < x.type().rank(); i++) {
            shape.add(Dim.of(1));
        }
        return e.emit("reshape", List.of(p), Map.of("shape", new Attr.Dims(shape)), tag + "_axis");
    }

    /**
     * A blocked parameter (one entry per {@code block} consecutive elements along {@code axis})
     * widened to x's shape by gathering entry {@code i / block} for element {@code i}.
     */
    private static Value blocks(Expansion e, Value p, Value x, int axis, long block, String tag) {
        long n = x.type().dim(axis).value();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(n * 8)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            b.putLong(i / block);
        }
        Value owner = e.constant(tag + "_block_of", new WeightData(DType.I64, List.of(n), b.flip()));
        return e.emit("gather", List.of(p, owner), Map.of("axis", new Attr.Int(axis)), tag + "_blocks");
    }

    /** {@code cast(min(max(q, lo), hi))} to {@code target}, written into {@code out}. */
    private static void saturate(Expansion e, Value q, DType target, Value out) {
        double lo;
        double hi;
        switch (target) {
            case U8 -> {
                lo = 0;
                hi = 255;
            }
            case I8 -> {
                lo = -128;
                hi = 127;
            }
            case U16 -> {
                lo = 0;
                hi = 65535;
            }
            case I16 -> {
                lo = -32768;
                hi = 32767;
            }
            case I32 -> {
                lo = Integer.MIN_VALUE;
                hi = Integer.MAX_VALUE;
            }
            case U4 -> {
                lo = 0;
                hi = 15;
            }
            case I4 -> {
                lo = -8;
                hi = 7;
            }
            case U2 -> {
                lo = 0;
                hi = 3;
            }
            case I2 -> {
                lo = -2;
                hi = 1;
            }
            default ->
                throw new FscException(e.node.where() + ": quantizes to u8, i8, u16, i16, i32, u4, i4, u2, i2 or an"
                        + " 8/4-bit float, not " + target.irName());
        }
        Value clipped = clip(e, q, lo, hi, "saturated");
        e.produce("cast", List.of(clipped), Map.of("to", new Attr.Type(target)), out);
    }

    private static Value clip(Expansion e, Value x, double lo, double hi, String tag) {
        Value low = e.emit("max", List.of(x, e.scalar(tag + "_lo", lo)), Map.of(), tag + "_low");
        return e.emit("min", List.of(low, e.scalar(tag + "_hi", hi)), Map.of(), tag);
    }
}
