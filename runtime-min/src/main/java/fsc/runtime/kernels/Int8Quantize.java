package fsc.runtime.kernels;

import fsc.runtime.x86.QuantizeKernels;
import fsc.runtime.x86.QuantizeRowsKernels;
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

    /** The two passes in machine code on AVX-512 ({@link QuantizeKernels}), else {@code null}. */
    private static final QuantizeKernels NATIVE = F.length() == 16 ? QuantizeKernels.loadIfSupported() : null;

    /** {@link #rowsS8} in machine code on AVX-512 ({@link QuantizeRowsKernels}), else {@code null}. */
    private static final QuantizeRowsKernels NATIVE_ROWS =
            F.length() == 16 ? QuantizeRowsKernels.loadIfSupported() : null;

    private static final ThreadLocal<NativeBlock> BLOCK = new ThreadLocal<>() {
        @Override
        protected NativeBlock initialValue() {
            return new NativeBlock();
        }
    };
    private static final ThreadLocal<MemorySegment> ROWS_BLOCK = new ThreadLocal<>() {
        @Override
        protected MemorySegment initialValue() {
            return Int8Quantize.rowsBlock();
        }
    };

    /** One thread's parameter block, constants and range lanes for {@link #NATIVE}. */
    private static final class NativeBlock {
        final java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofAuto();
        final MemorySegment params = arena.allocate(8L * QuantizeKernels.PARAMS, 64);
        final MemorySegment consts = arena.allocate(16, 64);
        final MemorySegment out = arena.allocate(4L * 32, 64);
    }

    /** Floats per copy-in/compute/copy-out run: 4 KB, in L1 between the copies. */
    private static final int CHUNK = 1024;

    /**
     * Quantizes {@code count} f32 at {@code x} to u8 at {@code y}; writes the f32 scale to {@code
     * scale} and the u8 zero point to {@code zp} (both at offset 0). Both passes run on chunks copied
     * into this thread's {@link RowScratch} rows (vector ops on a segment keep their checks inside
     * the loop once a speculation on them failed); chunks are whole vectors, so each element takes
     * the vector or the scalar form as in one loop over {@code count}.
     */
    public static void dynamicU8(
            MemorySegment x, long xOff, long count, MemorySegment y, long yOff, MemorySegment scale, MemorySegment zp) {
        if (NATIVE != null && count >= F.length() && x.isNative() && y.isNative()) {
            dynamicU8Native(x, xOff, count, y, yOff, scale, zp);
            return;
        }
        float[] a = RowScratch.floats(CHUNK);
        byte[] q = RowScratch.bytes(CHUNK);
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (long c = 0; c < count; c += CHUNK) {
            int len = (int) Math.min(CHUNK, count - c);
            MemorySegment.copy(x, F32, xOff + c * 4, a, 0, len);
            min = Math.min(min, min(a, len));
            max = Math.max(max, max(a, len));
        }
        float lo = Math.min(min, 0f);
        float hi = Math.max(max, 0f);
        float s = (hi - lo) / 255f;
        float z = Math.min(Math.max((float) Math.rint(-(lo / s)), 0f), 255f);
        scale.set(F32, 0, s);
        zp.set(ValueLayout.JAVA_BYTE, 0, (byte) (int) z);
        for (long c = 0; c < count; c += CHUNK) {
            int len = (int) Math.min(CHUNK, count - c);
            MemorySegment.copy(x, F32, xOff + c * 4, a, 0, len);
            quantize(a, q, len, s, z);
            MemorySegment.copy(q, 0, y, ValueLayout.JAVA_BYTE, yOff + c, len);
        }
    }

    /**
     * {@link #dynamicU8} with both passes over whole vectors in machine code and the tail (under 16
     * floats) here, in the same operations as the vector form's scalar tail.
     */
    private static void dynamicU8Native(
            MemorySegment x, long xOff, long count, MemorySegment y, long yOff, MemorySegment scale, MemorySegment zp) {
        java.util.Objects.checkFromIndexSize(xOff, 4 * count, x.byteSize());
        java.util.Objects.checkFromIndexSize(yOff, count, y.byteSize());
        NativeBlock nb = BLOCK.get();
        long vectors = count / F.length();
        long vecEnd = vectors * F.length();
        MemorySegment p = nb.params;
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeKernels.X, x.address() + xOff);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeKernels.Y, y.address() + yOff);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeKernels.VECTORS, vectors);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeKernels.CONSTS, nb.consts.address());
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeKernels.OUT, nb.out.address());
        NATIVE.range(p.address());
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int lane = 0; lane < F.length(); lane++) {
            min = Math.min(min, nb.out.getAtIndex(ValueLayout.JAVA_FLOAT, lane));
            max = Math.max(max, nb.out.getAtIndex(ValueLayout.JAVA_FLOAT, F.length() + lane));
        }
        for (long i = vecEnd; i < count; i++) {
            float v = x.get(F32, xOff + 4 * i);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float lo = Math.min(min, 0f);
        float hi = Math.max(max, 0f);
        float s = (hi - lo) / 255f;
        float z = Math.min(Math.max((float) Math.rint(-(lo / s)), 0f), 255f);
        scale.set(F32, 0, s);
        zp.set(ValueLayout.JAVA_BYTE, 0, (byte) (int) z);
        nb.consts.setAtIndex(ValueLayout.JAVA_FLOAT, 0, s);
        nb.consts.setAtIndex(ValueLayout.JAVA_FLOAT, 1, z);
        nb.consts.setAtIndex(ValueLayout.JAVA_FLOAT, 2, ROUNDER);
        nb.consts.setAtIndex(ValueLayout.JAVA_FLOAT, 3, 255f);
        NATIVE.quantize(p.address());
        for (long i = vecEnd; i < count; i++) {
            float v = (float) Math.rint(x.get(F32, xOff + 4 * i) / s) + z;
            y.set(ValueLayout.JAVA_BYTE, yOff + i, (byte) (int) Math.min(Math.max(v, 0f), 255f));
        }
    }

    /**
     * The {@code quantize} pass's run-time activation quantizer ({@code dynamic_quantize_rows}): each
     * of {@code rows} rows of {@code k} f32 at {@code x}, first multiplied element by element by {@code
     * inv[k]} when {@code inv} is not {@code NULL} (SmoothQuant's {@code 1/s}), is quantized to s8,
     * symmetric, with its own scale {@code s = max(max|x|, Float.MIN_NORMAL) / 127} and {@code q =
     * round(x / s)} (half to even; {@code |q| <= 127}). Writes q at {@code q} and the row scales (f32)
     * at {@code scale}. The same f32 operations as the element-wise chain it replaces ({@code mul},
     * {@code abs}, {@code reduce_max}, {@code max}, {@code div}, {@code div}, {@code round}, {@code
     * cast}), so the bytes and scales are that chain's; one pass to read a row into this thread's
     * {@link RowScratch} array, one for its range, one to quantize it while it is in L1.
     */
    public static void rowsS8(
            MemorySegment x,
            long xOff,
            int rows,
            int k,
            MemorySegment inv,
            long invOff,
            MemorySegment q,
            long qOff,
            MemorySegment scale,
            long scaleOff) {
        if (rows < 0 || k < 1) {
            throw new IllegalArgumentException("row quantization of " + rows + " rows of " + k);
        }
        boolean smooth = !inv.equals(MemorySegment.NULL);
        if (NATIVE_ROWS != null
                && k % F.length() == 0
                && x.isNative()
                && q.isNative()
                && scale.isNative()
                && (!smooth || inv.isNative())) {
            rowsS8Native(x, xOff, rows, k, smooth ? inv : null, invOff, q, qOff, scale, scaleOff);
            return;
        }
        float[] a = RowScratch.floats(k);
        byte[] b = RowScratch.bytes(k);
        float[] iv = smooth ? RowScratch.floats2(k) : null;
        if (smooth) {
            MemorySegment.copy(inv, F32, invOff, iv, 0, k);
        }
        int bound = F.loopBound(k);
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(x, F32, xOff + 4L * r * k, a, 0, k);
            if (smooth) {
                int i = 0;
                for (; i < bound; i += F.length()) {
                    FloatVector.fromArray(F, a, i)
                            .mul(FloatVector.fromArray(F, iv, i))
                            .intoArray(a, i);
                }
                for (; i < k; i++) {
                    a[i] = a[i] * iv[i];
                }
            }
            float s = Math.max(absMax(a, k), Float.MIN_NORMAL) / 127f;
            quantizeS8(a, b, k, s);
            MemorySegment.copy(b, 0, q, ValueLayout.JAVA_BYTE, qOff + (long) r * k, k);
            scale.set(F32, scaleOff + 4L * r, s);
        }
    }

    /** A thread's parameter block for {@link #NATIVE_ROWS}, its four constants written once after it. */
    private static MemorySegment rowsBlock() {
        MemorySegment p = java.lang.foreign.Arena.ofAuto().allocate(8L * QuantizeRowsKernels.PARAMS + 16, 64);
        long consts = 8L * QuantizeRowsKernels.PARAMS;
        p.set(ValueLayout.JAVA_INT, consts, 0x7fffffff);
        p.set(ValueLayout.JAVA_FLOAT, consts + 4, Float.MIN_NORMAL);
        p.set(ValueLayout.JAVA_FLOAT, consts + 8, 127f);
        p.set(ValueLayout.JAVA_FLOAT, consts + 12, ROUNDER);
        return p;
    }

    /** {@link #rowsS8} over rows of whole vectors in machine code; {@code inv} is null when not smoothing. */
    private static void rowsS8Native(
            MemorySegment x,
            long xOff,
            int rows,
            int k,
            MemorySegment inv,
            long invOff,
            MemorySegment q,
            long qOff,
            MemorySegment scale,
            long scaleOff) {
        long elements = (long) rows * k;
        java.util.Objects.checkFromIndexSize(xOff, 4 * elements, x.byteSize());
        java.util.Objects.checkFromIndexSize(qOff, elements, q.byteSize());
        java.util.Objects.checkFromIndexSize(scaleOff, 4L * rows, scale.byteSize());
        if (inv != null) {
            java.util.Objects.checkFromIndexSize(invOff, 4L * k, inv.byteSize());
        }
        MemorySegment p = ROWS_BLOCK.get();
        long consts = 8L * QuantizeRowsKernels.PARAMS;
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeRowsKernels.X, x.address() + xOff);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeRowsKernels.Q, q.address() + qOff);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeRowsKernels.SCALES, scale.address() + scaleOff);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeRowsKernels.ROWS, rows);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeRowsKernels.VECTORS, k / F.length());
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeRowsKernels.INV, inv == null ? 0L : inv.address() + invOff);
        p.setAtIndex(ValueLayout.JAVA_LONG, QuantizeRowsKernels.CONSTS, p.address() + consts);
        NATIVE_ROWS.run(p.address(), inv != null);
    }

    private static float absMax(float[] a, int len) {
        int bound = F.loopBound(len);
        FloatVector v = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += F.length()) {
            v = v.max(FloatVector.fromArray(F, a, i).abs());
        }
        float m = v.reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) {
            m = Math.max(m, Math.abs(a[i]));
        }
        return m;
    }

    /** {@code q[i] = round(a[i] / s)} to s8 for {@code i < len}; |a| <= 127 s, so no saturation is needed. */
    private static void quantizeS8(float[] a, byte[] q, int len, float s) {
        int bound = F.loopBound(len);
        FloatVector vs = FloatVector.broadcast(F, s);
        FloatVector r = FloatVector.broadcast(F, ROUNDER);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, a, i).div(vs).add(r).sub(r);
            ByteVector b = (ByteVector) v.convert(VectorOperators.F2I, 0).convertShape(VectorOperators.I2B, B, 0);
            if (B_WIDER) {
                b.intoArray(q, i, B_FIRST);
            } else {
                b.intoArray(q, i);
            }
        }
        for (; i < len; i++) {
            q[i] = (byte) (int) Math.rint(a[i] / s);
        }
    }

    private static float min(float[] a, int len) {
        int bound = F.loopBound(len);
        FloatVector v = FloatVector.broadcast(F, Float.POSITIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += F.length()) {
            v = v.min(FloatVector.fromArray(F, a, i));
        }
        float m = v.reduceLanes(VectorOperators.MIN);
        for (; i < len; i++) {
            m = Math.min(m, a[i]);
        }
        return m;
    }

    private static float max(float[] a, int len) {
        int bound = F.loopBound(len);
        FloatVector v = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += F.length()) {
            v = v.max(FloatVector.fromArray(F, a, i));
        }
        float m = v.reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) {
            m = Math.max(m, a[i]);
        }
        return m;
    }

    /** {@code q[i] = saturate(round(a[i] / s) + z)} for {@code i < len}. */
    private static void quantize(float[] a, byte[] q, int len, float s, float z) {
        int bound = F.loopBound(len);
        FloatVector vs = FloatVector.broadcast(F, s);
        FloatVector vz = FloatVector.broadcast(F, z);
        FloatVector r = FloatVector.broadcast(F, ROUNDER);
        FloatVector zero = FloatVector.zero(F);
        FloatVector top = FloatVector.broadcast(F, 255f);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, a, i).div(vs);
            v = v.add(r).sub(r).add(vz).max(zero).min(top);
            ByteVector b = (ByteVector) v.convert(VectorOperators.F2I, 0).convertShape(VectorOperators.I2B, B, 0);
            if (B_WIDER) {
                b.intoArray(q, i, B_FIRST); // a byte species wider than the float lanes: only theirs
            } else {
                b.intoArray(q, i);
            }
        }
        for (; i < len; i++) {
            float v = (float) Math.rint(a[i] / s) + z;
            q[i] = (byte) (int) Math.min(Math.max(v, 0f), 255f);
        }
    }
}
