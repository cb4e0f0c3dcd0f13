package fsc.frontend.gguf.arch;

import fsc.ir.DType;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * cos/sin tables {@code [context, ropeDim/2]} for the {@code rope} op, computed as ggml does
 * ({@code ggml_rope_cache_init}): {@code theta_i = p * base^(-2i/d)} accumulated in float by
 * repeated multiplication, so the angles match llama.cpp's bit for bit as far as float allows.
 */
record RopeTables(WeightData cos, WeightData sin) {

    static RopeTables of(float base, int ropeDim, int context) {
        int half = ropeDim / 2;
        ByteBuffer c = ByteBuffer.allocate(4 * context * half).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer s = ByteBuffer.allocate(4 * context * half).order(ByteOrder.LITTLE_ENDIAN);
        float thetaScale = (float) Math.pow(base, -2.0 / ropeDim);
        for (int pos = 0; pos < context; pos++) {
            float theta = pos;
            for (int i = 0; i < half; i++) {
                c.putFloat(4 * (pos * half + i), (float) Math.cos(theta));
                s.putFloat(4 * (pos * half + i), (float) Math.sin(theta));
                theta *= thetaScale;
            }
        }
        List<Long> dims = List.of((long) context, (long) half);
        return new RopeTables(new WeightData(DType.F32, dims, c), new WeightData(DType.F32, dims, s));
    }
}
