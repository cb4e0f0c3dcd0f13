package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * ONNX DynamicQuantizeLinear ({@code dynamic_quantize}) in two vector passes: the range of x, then
 * {@code y = saturate(round(x / scale) + zp)} to u8. The arithmetic is the graph's, operation for
 * operation in f32 (division, not a reciprocal multiply), so the bytes equal those of the
 * element-wise decomposition the frontend imports and the reference interpreter runs.
 *
 * <p>Rounding half to even without a vector {@code rint}: for {@code |v| < 2^22}, {@code (v + 1.5 ·
 * 2^23) - 1.5 · 2^23} rounds v to an integer in the FPU's round-to-nearest-even mode. Here {@code
 * |x / scale| <= 255} (scale spans x's range), far inside that bound.
 */
public final class Int8Quantize {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.length() * 8)));
    /**
     * At 128-bit vectors there is no 32-bit byte species: B is the 64-bit one and a store writes its
     * first F.length() lanes under this mask (never past the output); otherwise the store is unmasked.
     */
    private static final boolean B_WIDER = B.length() > F.length();

    private static final VectorMask<Byte> B_FIRST = B.indexInRange(0, F.length());
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final float ROUNDER = 12582912f; // 1.5 * 2^23

    private Int8Quantize() {}

    /**
     * Quantizes {@code count} f32 at {@code x} to u8 at {@code y}; writes the f32 scale to {@code
     * scale} and the u8 zero point to {@code zp} (both at offset 0).
     */
    public static void dynamicU8(
            MemorySegment x, long xOff, long count, MemorySegment y, long yOff, MemorySegment scale, MemorySegment zp) {
        int vl = F.length();
        long vecEnd = count / vl * vl;
        FloatVector vmin = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
        FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        long i = 0;
        for (; i < vecEnd; i += vl) {
            FloatVector v = FloatVector.fromMemorySegment(F, x, xOff + i * 4, ByteOrder.LITTLE_ENDIAN);
            vmin = vmin.min(v);
            vmax = vmax.max(v);
        }
        float min = vmin.reduceLanes(VectorOperators.MIN);
        float max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < count; i++) {
            float v = x.get(F32, xOff + i * 4);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float lo = Math.min(min, 0f);
        float hi = Math.max(max, 0f);
        float s = (hi - lo) / 255f;
        float z = Math.min(Math.max((float) Math.rint(-(lo / s)), 0f), 255f);
        scale.set(F32, 0, s);
        zp.set(ValueLayout.JAVA_BYTE, 0, (byte) (int) z);
        FloatVector vs = FloatVector.broadcast(F, s);
        FloatVector vz = FloatVector.broadcast(F, z);
        FloatVector r = FloatVector.broadcast(F, ROUNDER);
        FloatVector zero = FloatVector.zero(F);
        FloatVector top = FloatVector.broadcast(F, 255f);
        for (i = 0; i < vecEnd; i += vl) {
            FloatVector v = FloatVector.fromMemorySegment(F, x, xOff + i * 4, ByteOrder.LITTLE_ENDIAN)
                    .div(vs);
            v = v.add(r).sub(r).add(vz).max(zero).min(top);
            ByteVector q = (ByteVector) v.convert(VectorOperators.F2I, 0).convertShape(VectorOperators.I2B, B, 0);
            if (B_WIDER) {
                q.intoMemorySegment(y, yOff + i, ByteOrder.LITTLE_ENDIAN, B_FIRST);
            } else {
                q.intoMemorySegment(y, yOff + i, ByteOrder.LITTLE_ENDIAN);
            }
        }
        for (; i < count; i++) {
            float v = (float) Math.rint(x.get(F32, xOff + i * 4) / s) + z;
            y.set(ValueLayout.JAVA_BYTE, yOff + i, (byte) (int) Math.min(Math.max(v, 0f), 255f));
        }
    }
}
