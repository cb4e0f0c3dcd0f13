package fsc.frontend.onnx;

import fsc.ir.DType;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * ONNX {@code Constant}: becomes a graph constant, not a node, so that shape arithmetic reads its
 * contents. Exactly one of {@code value} (a tensor), {@code value_float(s)}, {@code value_int(s)}.
 */
final class ConstantConverter {
    private ConstantConverter() {}

    static void convert(NodeContext ctx) {
        String attr = ctx.attrs
                .single()
                .orElseThrow(() -> ctx.fail("needs exactly one attribute (value, value_float(s) or value_int(s))"));
        String name = ctx.outputName(0);
        WeightData data =
                switch (attr) {
                    case "value" ->
                        TensorData.toWeight(
                                ctx.attrs.tensor("value").orElseThrow(), ctx.baseDir(), ctx.where + " value");
                    case "value_float" ->
                        floats(
                                new float[] {
                                    ctx.attrs.floatValue(attr).orElseThrow().floatValue()
                                },
                                List.of());
                    case "value_floats" -> {
                        float[] f = ctx.attrs.floats(attr).orElseThrow();
                        yield floats(f, List.of((long) f.length));
                    }
                    case "value_int" ->
                        ints(new long[] {ctx.attrs.intValue(attr).orElseThrow()}, List.of());
                    case "value_ints" -> {
                        long[] v = ctx.attrs.ints(attr).orElseThrow();
                        yield ints(v, List.of((long) v.length));
                    }
                    default ->
                        throw ctx.fail("attribute '" + attr + "' is not supported (fsc has no "
                                + (attr.startsWith("value_string") ? "string" : "sparse") + " tensors)");
                };
        ctx.define(0, ctx.constantNamed(name, data));
    }

    private static WeightData floats(float[] values, List<Long> dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : values) {
            b.putFloat(f);
        }
        return new WeightData(DType.F32, dims, b.flip());
    }

    private static WeightData ints(long[] values, List<Long> dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return new WeightData(DType.I64, dims, b.flip());
    }
}
