package fsc.runtime.quant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Random weight matrices in any {@link GgmlType} whose scales are finite, small f16 values. */
public final class RandomWeights {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomWeights() {}

    /** {@code n} rows of {@code k} values: random quants, f16 scales (and mins) in ±0.05. */
    public static MemorySegment of(Arena arena, GgmlType type, int n, int k, Random random) {
        long elements = (long) n * k;
        MemorySegment w = arena.allocate(type.bytesFor(elements), 64);
        for (long i = 0; i < w.byteSize(); i++) {
            w.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(256));
        }
        long blocks = elements / type.blockSize();
        for (long b = 0; b < blocks; b++) {
            long at = b * type.blockBytes();
            switch (type) {
                case F32 -> w.set(F32, at, (float) random.nextGaussian());
                case F16 -> w.set(I16, at, Float.floatToFloat16((float) random.nextGaussian()));
                case BF16 -> w.set(I16, at, (short) (Float.floatToIntBits((float) random.nextGaussian()) >>> 16));
                case Q4_0, Q8_0 -> w.set(I16, at, scale(random));
                case Q4_1, Q4_K, Q5_K -> {
                    w.set(I16, at, scale(random));
                    w.set(I16, at + 2, scale(random));
                }
                case Q6_K -> w.set(I16, at + 208, scale(random));
            }
        }
        return w;
    }

    private static short scale(Random random) {
        return Float.floatToFloat16((float) ((random.nextDouble() * 2 - 1) * 0.05));
    }
}
