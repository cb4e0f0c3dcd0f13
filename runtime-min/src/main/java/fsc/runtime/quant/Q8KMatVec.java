package fsc.runtime.quant;

import fsc.runtime.x86.KQuantKernels;
import fsc.runtime.x86.KQuantPackedKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * The decode matvec of llama.cpp's numerics for K-quant weights: a range of weight rows times one
 * {@link Q8K} activation row, in machine code where the CPU has AVX-512 BW and VNNI ({@link
 * KQuantKernels}: Q4_K and Q6_K, the two types of a Q4_K_M file), else row by row through {@link
 * Q8KDot}. A range that starts on a 16-row boundary takes its whole groups of 16 from the matrix's
 * repacked copy ({@link KQuantPacked}, made at its first call; {@link KQuantPackedKernels}), the
 * rest of the range from GGUF's layout. All give {@link Q8KDotReference}'s bits: the integer sums
 * are exact and the per-block float steps are the reference's, in its order.
 *
 * <p>The kernel reads the activation in its own layout ({@link KQuantKernels#X_BLOCK} bytes per
 * super-block: the int8 values, the block sums it needs as int32 vectors, the scale repeated),
 * which {@link Prepared#prepare} writes once per matmul into native memory the object keeps, so a
 * decode step allocates nothing.
 */
public final class Q8KMatVec {
    /** The machine-code kernels, or {@code null} where {@link Q8KDot} runs. */
    static final KQuantKernels NATIVE = KQuantKernels.loadIfSupported();

    /**
     * The kernels of Q4_K and Q6_K matrices repacked in groups of 16 rows ({@link KQuantPacked}), or
     * {@code null} where the GGUF-layout kernels (or {@link Q8KDot}) run every row.
     */
    static final KQuantPackedKernels PACKED =
            NATIVE != null && Q80Packed.ENABLED ? KQuantPackedKernels.loadIfSupported() : null;

    /** Each thread's parameter block of {@link #PACKED}, its two masks written once. */
    private static final ThreadLocal<MemorySegment> PACKED_PARAMS = ThreadLocal.withInitial(() -> {
        MemorySegment p = Arena.ofAuto().allocate(8L * KQuantPackedKernels.PARAMS, 64);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantPackedKernels.NIBBLES, KQuantPackedKernels.NIBBLE_MASK);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantPackedKernels.HIGH_BITS, KQuantPackedKernels.HIGH_BITS_MASK);
        return p;
    });

    private static final ThreadLocal<MemorySegment> PARAMS =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(8L * KQuantKernels.PARAMS, 64));

    private Q8KMatVec() {}

    /** A {@link Q8K} activation and, where the kernels run, its copy in their layout. */
    public static final class Prepared {
        private Q8K xq;
        private MemorySegment native_ = MemorySegment.NULL;

        /**
         * Binds {@code xq}; when the machine-code kernels are loaded also writes its layout for
         * them, reusing this object's native memory when it is large enough.
         */
        public Prepared prepare(Q8K xq) {
            this.xq = xq;
            if (NATIVE == null) {
                return this;
            }
            int blocks = xq.d.length;
            long bytes = (long) blocks * KQuantKernels.X_BLOCK;
            if (native_.byteSize() < bytes) {
                native_ = Arena.ofAuto().allocate(bytes, 64);
            }
            MemorySegment s = native_;
            for (int b = 0; b < blocks; b++) {
                long at = (long) b * KQuantKernels.X_BLOCK;
                MemorySegment.copy(xq.qs, Q8K.BLOCK * b, s, ValueLayout.JAVA_BYTE, at, Q8K.BLOCK);
                for (int i = 0; i < 4; i++) {
                    // Two runs of 32 per dword, as words (at most 32 · 127 in magnitude).
                    int even = xq.bsums[16 * b + 4 * i] + xq.bsums[16 * b + 4 * i + 1];
                    int odd = xq.bsums[16 * b + 4 * i + 2] + xq.bsums[16 * b + 4 * i + 3];
                    s.set(ValueLayout.JAVA_INT, at + KQuantKernels.X_PAIRS + 4L * i, (even & 0xFFFF) | odd << 16);
                }
                for (int i = 0; i < 16; i++) {
                    int mins = i < 8 ? 0 : xq.bsums[16 * b + 2 * (i - 8)] + xq.bsums[16 * b + 2 * (i - 8) + 1];
                    s.set(ValueLayout.JAVA_INT, at + KQuantKernels.X_MINS + 4L * i, mins);
                    s.set(ValueLayout.JAVA_INT, at + KQuantKernels.X_BSUMS + 4L * i, xq.bsums[16 * b + i]);
                    s.set(ValueLayout.JAVA_INT, at + KQuantKernels.X_NEG32 + 4L * i, -32 * xq.bsums[16 * b + i]);
                    s.set(ValueLayout.JAVA_FLOAT, at + KQuantKernels.X_D + 4L * i, xq.d[b]);
                }
            }
            return this;
        }

        /**
         * The address of activation row {@code row} ({@code blocks} super-blocks a row) in the
         * kernels' copy (benchmarks drive {@link KQuantKernels} directly).
         */
        long nativeRow(int row, int blocks) {
            return native_.address() + (long) row * blocks * KQuantKernels.X_BLOCK;
        }

        /** The bound activation. */
        public Q8K q8k() {
            return xq;
        }
    }

    /** Whether {@link #rows} runs machine code for {@code type} with these segments. */
    public static boolean nativeFor(GgmlType type, MemorySegment w, MemorySegment y) {
        return NATIVE != null && (type == GgmlType.Q4_K || type == GgmlType.Q6_K) && w.isNative() && y.isNative();
    }

    /**
     * {@code y[j] = dot(w row j, activation row `row` of x)} for rows {@code from..to} of a {@code
     * type} matrix with rows {@code rowBytes} apart from byte 0 of {@code w}, stored as floats at byte
     * {@code yOffset + 4j} of {@code y}.
     */
    public static void rows(
            GgmlType type,
            MemorySegment w,
            long rowBytes,
            Prepared x,
            int row,
            MemorySegment y,
            long yOffset,
            int from,
            int to) {
        Q8K xq = x.xq;
        int k = xq.k();
        Objects.checkFromToIndex(from, to, Integer.MAX_VALUE);
        Objects.checkIndex(row, xq.rows());
        if (rowBytes != type.bytesFor(k)) {
            throw new IllegalArgumentException(
                    type + " rows of " + k + " values take " + type.bytesFor(k) + " bytes, not " + rowBytes);
        }
        Objects.checkFromToIndex(0, to * rowBytes, w.byteSize());
        Objects.checkFromToIndex(yOffset, yOffset + 4L * to, y.byteSize());
        if (from == to) {
            return;
        }
        if (!nativeFor(type, w, y)) {
            for (int j = from; j < to; j++) {
                y.set(Dequantize.F32, yOffset + 4L * j, Q8KDot.dot(type, w, j * rowBytes, xq, row));
            }
            return;
        }
        int blocks = k / Q8K.BLOCK;
        int groups =
                PACKED != null && from % KQuantPackedKernels.ROWS == 0 ? (to - from) / KQuantPackedKernels.ROWS : 0;
        if (groups > 0) {
            // Whole groups of the matrix: its packed form, one sequential stream (same bits).
            packedGroups(
                    type,
                    w,
                    rowBytes,
                    blocks,
                    x.nativeRow(row, blocks),
                    y.address() + yOffset + 4L * from,
                    from,
                    groups);
            from += groups * KQuantPackedKernels.ROWS;
            if (from == to) {
                return;
            }
        }
        MemorySegment p = PARAMS.get();
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.W, w.address() + from * rowBytes);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.ROW_BYTES, rowBytes);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.X, x.nativeRow(row, blocks));
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.BLOCKS, blocks);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.Y, y.address() + yOffset + 4L * from);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.QUADS, (to - from) / 4);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.STREAM, (to - from) / 4 * rowBytes);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.ROWS, (to - from) % 4);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantKernels.CONSTS, NATIVE.constants());
        NATIVE.run(type == GgmlType.Q4_K ? KQuantKernels.Q4_K : KQuantKernels.Q6_K, p.address());
    }

    /**
     * Rows {@code from .. from + 16 · groups} (from a multiple of 16) through {@link #PACKED} on the
     * matrix's packed copy, made now if this is the matrix's first use; outputs from address {@code y}.
     */
    private static void packedGroups(
            GgmlType type, MemorySegment w, long rowBytes, int blocks, long x, long y, int from, int groups) {
        int kind = type == GgmlType.Q4_K ? KQuantPackedKernels.Q4_K : KQuantPackedKernels.Q6_K;
        MemorySegment packed = KQuantPacked.of(type, w, rowBytes, blocks);
        long groupBytes = (long) blocks * KQuantPackedKernels.blockBytes(kind);
        MemorySegment p = PACKED_PARAMS.get();
        p.setAtIndex(
                ValueLayout.JAVA_LONG,
                KQuantPackedKernels.W,
                packed.address() + from / KQuantPackedKernels.ROWS * groupBytes);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantPackedKernels.X, x);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantPackedKernels.BLOCKS, blocks);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantPackedKernels.Y, y);
        p.setAtIndex(ValueLayout.JAVA_LONG, KQuantPackedKernels.GROUPS, groups);
        PACKED.run(kind, p.address());
    }
}
