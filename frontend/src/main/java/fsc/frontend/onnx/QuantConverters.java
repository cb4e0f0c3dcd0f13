package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * ONNX quantization ops, each onto the IR op of the same meaning ({@code quantize_linear}, {@code
 * dequantize_linear}, {@code dynamic_quantize_linear}, {@code matmul_integer}, {@code
 * qlinear_matmul}). The {@code quantize} pass lowers them (see {@code fsc.passes.QuantLinearLowering}):
 * the importer only maps operands and attributes, so a dump after import shows the model's own ops.
 */
final class QuantConverters {
    private QuantConverters() {}

    static void register(List<Rule> rules) {
        // Opset 13 added per-axis scales; 10 had per-tensor ones (a special case).
        rules.add(new Rule("DequantizeLinear", 10, QuantConverters::dequantize));
        rules.add(new Rule("QuantizeLinear", 10, QuantConverters::quantize));
        rules.add(new Rule("DynamicQuantizeLinear", 11, QuantConverters::dynamicQuantize));
        rules.add(new Rule("MatMulInteger", 10, QuantConverters::matmulInteger));
        rules.add(new Rule("QLinearMatMul", 10, QuantConverters::qlinearMatmul));
    }

    private static void dequantize(NodeContext c) {
        c.produce("dequantize_linear", operands(c, 3), axisAttrs(c));
    }

    private static void quantize(NodeContext c) {
        DType target = c.hasInput(2)
                ? c.input(2).dtype()
                : c.attrs
                        .intValue("output_dtype")
                        .filter(t -> t != 0)
                        .map(t -> OnnxDTypes.require(t.intValue(), c.where + ": output_dtype"))
                        .orElse(DType.U8);
        Map<String, Attr> attrs = axisAttrs(c);
        attrs.put("to", new Attr.Type(target));
        // QuantizeLinear-19's saturate (default 1) means the same as Cast's for 8-bit float targets.
        long saturate = c.attrs.intValue("saturate", 1);
        if (saturate != 1) {
            attrs.put("saturate", new Attr.Int(saturate));
        }
        c.produce("quantize_linear", operands(c, 3), attrs);
    }

    private static void dynamicQuantize(NodeContext c) {
        c.produceAll("dynamic_quantize_linear", List.of(c.input(0)), Map.of());
    }

    /** An absent {@code a_zero_point} before a given {@code b_zero_point} is a zero of a's type. */
    private static void matmulInteger(NodeContext c) {
        List<Value> in = new ArrayList<>(List.of(c.input(0), c.input(1)));
        if (c.hasInput(2)) {
            in.add(c.input(2));
        } else if (c.hasInput(3)) {
            in.add(zero(c, c.input(0).dtype()));
        }
        c.optionalInput(3).ifPresent(in::add);
        c.produce("matmul_integer", in, Map.of());
    }

    private static void qlinearMatmul(NodeContext c) {
        c.produce("qlinear_matmul", operands(c, 8), Map.of());
    }

    /** Inputs {@code 0..n-1} up to the first absent one (the optional ones come last). */
    private static List<Value> operands(NodeContext c, int n) {
        List<Value> in = new ArrayList<>();
        for (int i = 0; i < n && c.hasInput(i); i++) {
            in.add(c.input(i));
        }
        return in;
    }

    /** {@code axis} and {@code block_size} as the model gives them (the IR's defaults are ONNX's). */
    private static Map<String, Attr> axisAttrs(NodeContext c) {
        Map<String, Attr> attrs = new TreeMap<>();
        c.attrs.intValue("axis").ifPresent(a -> attrs.put("axis", new Attr.Int(a)));
        c.attrs.intValue("block_size").ifPresent(b -> attrs.put("block_size", new Attr.Int(b)));
        return attrs;
    }

    private static Value zero(NodeContext c, DType type) {
        ByteBuffer b = ByteBuffer.allocate(1).order(ByteOrder.LITTLE_ENDIAN);
        return c.constant("a_zero_point", new WeightData(type, List.of(), b));
    }
}
