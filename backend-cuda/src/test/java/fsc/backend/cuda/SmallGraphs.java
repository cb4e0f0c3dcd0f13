package fsc.backend.cuda;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

/** Tiny graphs in each float dtype covering the ops MiniLM does not use (softmax, rms_norm, reductions, WMMA). */
final class SmallGraphs {
    private SmallGraphs() {}

    static WeightData weight(DType t, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate((int) t.bytesFor(n)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            float v = (float) Math.sin(i * 0.37);
            switch (t) {
                case F32 -> b.putFloat(v);
                case F16 -> b.putShort(Float.floatToFloat16(v));
                case BF16 -> b.putShort((short) (Float.floatToIntBits(v) >>> 16));
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return new WeightData(t, java.util.Arrays.stream(dims).boxed().toList(), b.flip());
    }

    /** x[S,64] → matmul w[64,96] → softmax → rms_norm → reduce_mean, all in {@code t}, S symbolic. */
    static Graph mixed(DType t) {
        GraphBuilder g = new GraphBuilder("mixed_" + t.irName());
        g.symbol("S", 256);
        Value x = g.input("x", new TensorType(t, List.of(Dim.sym("S"), Dim.of(64))));
        Value w = g.constant("w", weight(t, 64, 96));
        Value scale = g.constant("scale", weight(t, 96));
        Value m = g.node("matmul", "mm", List.of(x, w), Map.of());
        Value sm = g.node("softmax", "sm", List.of(m), Map.of("axis", new Attr.Int(-1)));
        Value rn = g.node("rms_norm", "rn", List.of(sm, scale), Map.of("epsilon", new Attr.Float(1e-6)));
        Value r = g.node(
                "reduce_mean",
                "rm",
                List.of(rn),
                Map.of("axes", new Attr.Ints(List.of(1L)), "keepdims", new Attr.Int(0)));
        g.output(r);
        return g.build();
    }
}
