package fsc.frontend.onnx;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

/**
 * Blocked quantization (Quantize/DequantizeLinear with {@code block_size}): the scale and zero point
 * hold one entry per block of {@code block_size} consecutive elements along the axis, so each is
 * widened to x's shape by gathering entry {@code i / block_size} for element {@code i}.
 */
final class QuantBlocks {
    private QuantBlocks() {}

    static Value widen(NodeContext c, Value p, Value x, int axis, long block, String tag) {
        Dim len = x.type().dim(axis);
        if (block <= 0 || !len.isFixed() || p.type().rank() != x.type().rank()) {
            throw c.fail("blocked quantization needs a positive block_size, a fixed axis and a " + tag
                    + " of x's rank, got block_size " + block + ", x " + x.type() + " and " + tag + " " + p.type());
        }
        long n = len.value();
        ByteBuffer b = ByteBuffer.allocate((int) n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            b.putLong(i / block);
        }
        Value owner = c.constant(tag + "_block_of", new WeightData(DType.I64, List.of(n), b.flip()));
        return c.emit("gather", List.of(p, owner), Map.of("axis", new Attr.Int(axis)), c.temp(tag + "_blocks"));
    }
}
