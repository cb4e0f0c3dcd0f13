package fsc.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Small weights for tests. */
public final class TestWeights {
    private TestWeights() {}

    public static WeightData longs(long[] shape, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return new WeightData(DType.I64, Arrays.stream(shape).boxed().toList(), b.flip());
    }

    public static WeightData floats(long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return new WeightData(DType.F32, Arrays.stream(shape).boxed().toList(), b.flip());
    }

    public static WeightData scalar(long value) {
        return longs(new long[0], value);
    }

    public static WeightData vector(long... values) {
        return longs(new long[] {values.length}, values);
    }
}
