package fsc.runtime.quant;

import fsc.runtime.x86.Q80Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * The matmul of llama.cpp's numerics for Q4_0 and Q8_0 weights: a range of weight rows times one
 * to {@link Q80Kernels#MAX_TOKENS} {@link Q80} activation rows, in machine code where the CPU has
 * AVX-512 VNNI ({@link Q80Kernels}: sixteen weight rows per pass, each weight block unpacked once
 * for all the activation rows), else row by row through {@link Q80Dot}. Both give {@link Q80Dot}'s
 * bits, so decode (one activation row) and prefill (several) agree, and native on = native off.
 *
 * <p>A range that is not a whole number of 16-row groups ends with one group that overlaps the
 * previous rows, computed into this thread's scratch, of which only the missing rows are copied
 * out: a row's result does not depend on its group, and nothing outside the range is written.
 * Matrices of fewer than 16 rows run {@link Q80Dot}.
 */
public final class Q80MatVec {
    /** The machine-code kernels, or {@code null} where {@link Q80Dot} runs. */
    static final Q80Kernels NATIVE = Q80Kernels.loadIfSupported();

    /** Where the tail group's outputs go in a thread's parameter segment: a row of 16 floats per token. */
    private static final long TAIL_AT = Q80Kernels.PARAM_BYTES;

    private static final ThreadLocal<MemorySegment> PARAMS = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(TAIL_AT + 4L * Q80Kernels.ROWS * Q80Kernels.MAX_TOKENS, 64));

    private Q80MatVec() {}

    /** Whether {@link #rows} runs machine code for {@code type} with these segments. */
    public static boolean nativeFor(GgmlType type, MemorySegment w, MemorySegment y) {
        return NATIVE != null && Q80Dot.pairsWith(type) && w.isNative() && y.isNative();
    }

    /**
     * {@code y[t][j] = dot(w row j, activation row t of x)} for rows {@code from..to} of a {@code
     * type} matrix with rows {@code rowBytes} apart from byte 0 of {@code w}, and activation rows
     * {@code t = first .. first + tokens - 1}; {@code y[t][j]} is the float at byte {@code yOffset +
     * (t - first)·yStride + 4j} of {@code y}. {@code tokens} is 1..{@link Q80Kernels#MAX_TOKENS}.
     */
    public static void rows(
            GgmlType type,
            MemorySegment w,
            long rowBytes,
            Q80 x,
            int first,
            int tokens,
            MemorySegment y,
            long yOffset,
            long yStride,
            int from,
            int to) {
        int k = x.k();
        Objects.checkFromToIndex(from, to, Integer.MAX_VALUE);
        Objects.checkFromIndexSize(first, tokens, x.rows());
        if (tokens < 1 || tokens > Q80Kernels.MAX_TOKENS) {
            throw new IllegalArgumentException(
                    "1.." + Q80Kernels.MAX_TOKENS + " activation rows per call, got " + tokens);
        }
        if (!Q80Dot.pairsWith(type)) {
            throw new IllegalArgumentException("Q8_0 activations pair with Q4_0 and Q8_0 weights, not " + type);
        }
        if (rowBytes != type.bytesFor(k)) {
            throw new IllegalArgumentException(
                    type + " rows of " + k + " values take " + type.bytesFor(k) + " bytes, not " + rowBytes);
        }
        Objects.checkFromToIndex(0, to * rowBytes, w.byteSize());
        if (from == to) {
            return;
        }
        Objects.checkFromToIndex(yOffset, yOffset + (tokens - 1) * yStride + 4L * to, y.byteSize());
        int len = to - from;
        int groups = len / Q80Kernels.ROWS;
        int rest = len % Q80Kernels.ROWS;
        if (!nativeFor(type, w, y) || (groups == 0 && to < Q80Kernels.ROWS)) {
            for (int t = 0; t < tokens; t++) {
                for (int j = from; j < to; j++) {
                    y.set(
                            Dequantize.F32,
                            yOffset + t * yStride + 4L * j,
                            Q80Dot.dot(type, w, j * rowBytes, x, first + t));
                }
            }
            return;
        }
        MemorySegment p = PARAMS.get();
        int format = type == GgmlType.Q4_0 ? Q80Kernels.Q4_0 : Q80Kernels.Q8_0;
        long xAddress = x.layout().address() + (long) first * Q80.X_BLOCK;
        p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.ROW_BYTES, rowBytes);
        p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.X, xAddress);
        p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.X_STRIDE, (long) x.rows() * Q80.X_BLOCK);
        p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.BLOCKS, k / Q80.BLOCK);
        p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.MASK, Q80Kernels.mask(format));
        for (int i = 0; i < Q80Kernels.ROWS; i++) {
            p.set(ValueLayout.JAVA_INT, Q80Kernels.INDEX + 4L * i, Math.toIntExact(i * rowBytes));
        }
        if (groups > 0) {
            int blocks = k / Q80.BLOCK;
            int groupFormat = format;
            if (Q80Packed.ENABLED && from % Q80Kernels.ROWS == 0) {
                // Whole groups of the matrix: its packed form, one sequential stream (same bits).
                MemorySegment packed = Q80Packed.of(format, w, rowBytes, blocks);
                p.setAtIndex(
                        ValueLayout.JAVA_LONG,
                        Q80Kernels.W,
                        packed.address()
                                + (long) (from / Q80Kernels.ROWS) * blocks * Q80Kernels.packedBlockBytes(format));
                groupFormat = Q80Kernels.packed(format);
            } else {
                p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.W, w.address() + from * rowBytes);
            }
            p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.Y, y.address() + yOffset + 4L * from);
            p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.Y_STRIDE, yStride);
            p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.GROUPS, groups);
            NATIVE.run(groupFormat, tokens, p.address());
        }
        if (rest > 0) {
            // The last 16 rows of the matrix up to `to`, into the scratch; the missing ones copied out.
            int start = to - Q80Kernels.ROWS;
            long stride = 4L * Q80Kernels.ROWS;
            p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.W, w.address() + start * rowBytes);
            p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.Y, p.address() + TAIL_AT);
            p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.Y_STRIDE, stride);
            p.setAtIndex(ValueLayout.JAVA_LONG, Q80Kernels.GROUPS, 1);
            NATIVE.run(format, tokens, p.address());
            for (int t = 0; t < tokens; t++) {
                MemorySegment.copy(
                        p,
                        TAIL_AT + t * stride + 4L * (Q80Kernels.ROWS - rest),
                        y,
                        yOffset + t * yStride + 4L * (to - rest),
                        4L * rest);
            }
        }
    }
}
