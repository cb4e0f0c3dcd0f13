package fsc.runtime.kernels;

import fsc.runtime.x86.ByteRowKernels;
import fsc.runtime.x86.VnniGemmKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@link Int8Gemm} on AVX-512 VNNI: the products run in fsc's own {@code vpdpbusd} tiles ({@link
 * VnniGemmKernels}); this class lays the operands out for them. Full panels of a native Y run
 * the epilogue in the kernel's registers and store Y directly ({@link #multiplyInto}); the last,
 * partial panel hands {@link Int8Gemm}'s epilogue the exact int32 sums ({@link #multiply}).
 *
 * <p>{@code vpdpbusd} multiplies unsigned by signed bytes, so the sums are taken of the raw u8
 * activation (an s8 one is copied shifted by 128 first) and the zero point comes back out through the
 * tile's starting values: {@code sum_k (a - zp) · b = sum_k a · b - zp · colSum(b)}, with {@code
 * colSum} computed once when B is packed and {@code -zp · colSum} the {@code init} row of every
 * tile. Every step is exact in wrapping int32, so the result is bit-identical to the Vector API
 * kernel and to {@link Int8GemmReference}.
 *
 * <p>Packed B: {@code ceil(N/64)} panels of {@code ceil(K/4)} quads ({@link VnniGemmKernels}'s
 * layout, zero-padded), then one int32 column sum per padded column.
 */
final class Int8GemmVnni {
    static final int MR = VnniGemmKernels.MR;
    static final int NR = VnniGemmKernels.NR;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final VnniGemmKernels kernels;
    /** The passes over A before the tiles: row sums and sign flips. */
    final ByteRowKernels rows;

    Int8GemmVnni(VnniGemmKernels kernels, ByteRowKernels rows) {
        this.kernels = kernels;
        this.rows = rows;
    }

    static int panels(int n) {
        return (n + NR - 1) / NR;
    }

    static int quads(int k) {
        return (k + 3) / 4;
    }

    static long packedBytes(int k, int n) {
        return (long) panels(n) * quads(k) * VnniGemmKernels.QUAD_BYTES + (long) panels(n) * NR * 4;
    }

    /**
     * Packs B ({@code s8[k, n]}, row-major, or in the compiler's panels of {@code width} columns when
     * {@code panelled}) into the VNNI panels and appends the column sums.
     */
    static void pack(
            MemorySegment src, long srcOff, int k, int n, int width, boolean panelled, MemorySegment dst, long dstOff) {
        int quads = quads(k);
        long panelBytes = (long) quads * VnniGemmKernels.QUAD_BYTES;
        long sums = dstOff + panels(n) * panelBytes;
        dst.asSlice(dstOff, packedBytes(k, n)).fill((byte) 0);
        for (int j = 0; j < n; j++) {
            long panel = dstOff + (j / NR) * panelBytes + (long) (j % NR) * 4;
            int sum = 0;
            for (int kk = 0; kk < k; kk++) {
                long from = panelled ? ((long) (j / width) * k + kk) * width + j % width : (long) kk * n + j;
                byte v = src.get(ValueLayout.JAVA_BYTE, srcOff + from);
                dst.set(ValueLayout.JAVA_BYTE, panel + (long) (kk / 4) * VnniGemmKernels.QUAD_BYTES + kk % 4, v);
                sum += v;
            }
            dst.set(I32, sums + 4L * j, sum);
        }
    }

    /**
     * One call's A as the kernels read it: in place when it is native u8 with whole quads per row,
     * else copied into this thread's buffer (shifted to u8 when signed, rows padded to whole quads).
     */
    static final class Operand {
        private MemorySegment copy = MemorySegment.NULL;
        /** Where the kernels read A: {@code seg} at {@code segOff}, the caller's A or {@code copy}. */
        private MemorySegment seg = MemorySegment.NULL;

        private long segOff;
        long lda;
        /** The zero point of the u8 values the kernel reads. */
        int zp;

        void prepare(ByteRowKernels kernels, MemorySegment a, long aOff, int m, int k, boolean unsigned, int aZp) {
            long bytes = (long) m * k;
            if (aOff < 0 || aOff + bytes > a.byteSize()) {
                throw new IndexOutOfBoundsException("A of " + m + "x" + k + " bytes at " + aOff + " is outside its "
                        + a.byteSize() + "-byte segment");
            }
            rowKernels = kernels;
            zp = unsigned ? aZp : aZp + 128;
            if (unsigned && k % 4 == 0 && a.isNative()) {
                seg = a;
                segOff = aOff;
                lda = k;
                return;
            }
            lda = 4L * quads(k);
            long size = m * lda;
            if (copy.byteSize() < size) {
                copy = Arena.ofAuto().allocate(Math.max(size, 2 * copy.byteSize()), 64);
            }
            for (int i = 0; i < m; i++) {
                long row = i * lda;
                MemorySegment.copy(a, aOff + (long) i * k, copy, row, k);
                for (long pad = row + k; pad < row + lda; pad++) {
                    copy.set(ValueLayout.JAVA_BYTE, pad, (byte) (unsigned ? 0 : 0x80));
                }
            }
            if (!unsigned) {
                flipSigns(kernels, copy, size);
            }
            seg = copy;
            segOff = 0;
        }

        private MemorySegment rowSums = MemorySegment.NULL;
        /** The row-sum kernel's 16 lanes a row; grown to the largest call seen. */
        private MemorySegment lanes = MemorySegment.NULL;
        /** The byte kernels' parameter block (this Operand is one thread's). */
        private MemorySegment params = MemorySegment.NULL;
        /** The byte kernels of the last {@link #prepare}, which {@link #rowSums} runs. */
        private ByteRowKernels rowKernels;

        /** The address of A's first row. */
        long address() {
            return seg.address() + segOff;
        }

        long rowSumAddress(long row) {
            return rowSums.equals(MemorySegment.NULL) ? 0 : rowSums.address() + 4 * row;
        }

        /**
         * {@code rowSum[i] = sum_k (a[i, k] - aZp)}, for the column offsets: into {@code rowSum} for
         * the Vector API epilogue and into native memory for the kernels'. Whole 64-byte chunks in
         * the byte kernels' lanes, the rest of the row here: integer sums, exact in any order.
         */
        void rowSums(int m, int k, int[] rowSum) {
            if (rowSums.byteSize() < 4L * m) {
                rowSums = Arena.ofAuto().allocate(Math.max(4L * m, 2 * rowSums.byteSize()), 64);
            }
            long chunks = k / ByteRowKernels.CHUNK;
            if (chunks > 0) {
                if (lanes.byteSize() < 64L * m) {
                    lanes = Arena.ofAuto().allocate(Math.max(64L * m, 2 * lanes.byteSize()), 64);
                }
                rowKernels.rowSums(params(), address(), lda, m, chunks, lanes.address());
            }
            for (int i = 0; i < m; i++) {
                int s = 0;
                if (chunks > 0) {
                    for (int lane = 0; lane < 16; lane++) {
                        s += lanes.getAtIndex(ValueLayout.JAVA_INT, 16L * i + lane);
                    }
                }
                long row = segOff + i * lda;
                for (long kk = chunks * ByteRowKernels.CHUNK; kk < k; kk++) {
                    s += seg.get(ValueLayout.JAVA_BYTE, row + kk) & 0xff;
                }
                rowSum[i] = s - k * zp;
            }
            MemorySegment.copy(rowSum, 0, rowSums, ValueLayout.JAVA_INT, 0, m);
        }

        /** Flips the sign bit of {@code s}'s first {@code size} bytes (s8 to u8 offset by 128). */
        void flipSigns(ByteRowKernels kernels, MemorySegment s, long size) {
            long vectors = size / ByteRowKernels.CHUNK;
            kernels.flipSigns(params(), s.address(), vectors);
            for (long i = vectors * ByteRowKernels.CHUNK; i < size; i++) {
                s.set(ValueLayout.JAVA_BYTE, i, (byte) (s.get(ValueLayout.JAVA_BYTE, i) ^ 0x80));
            }
        }

        private MemorySegment params() {
            if (params.equals(MemorySegment.NULL)) {
                params = Arena.ofAuto().allocate(8L * ByteRowKernels.PARAMS, 64);
            }
            return params;
        }
    }

    /**
     * One thread's parameter block, the panel's start row and epilogue vectors, and the tile sums of
     * the scratch route, all native (the kernels read them), grown to the largest call seen.
     */
    static final class Scratch {
        private final Arena arena = Arena.ofAuto();
        private final MemorySegment params = arena.allocate(8L * VnniGemmKernels.PARAMS, 64);
        private final MemorySegment init = arena.allocate(NR * 4L, 64);
        private final MemorySegment negOff = arena.allocate(NR * 4L, 64);
        private final MemorySegment scales = arena.allocate(NR * 4L, 64);
        private final MemorySegment biases = arena.allocate(NR * 4L, 64);
        private final int[] ints = new int[NR];
        private final float[] floats = new float[NR];
        private MemorySegment sums = MemorySegment.NULL;

        MemorySegment sums(long bytes) {
            if (sums.byteSize() < bytes) {
                sums = Arena.ofAuto().allocate(Math.max(bytes, 2 * sums.byteSize()), 64);
            }
            return sums;
        }

        private void set(int slot, long value) {
            params.setAtIndex(ValueLayout.JAVA_LONG, slot, value);
        }
    }

    /** What one call's epilogue does: column offsets, scale (times the factor) and bias, or none. */
    static final class Epilogue {
        MemorySegment colOffset = MemorySegment.NULL;
        long colOffsetOff;
        MemorySegment scale = MemorySegment.NULL;
        long scaleOff;
        boolean scalePerColumn;
        float scaleFactor;
        MemorySegment bias = MemorySegment.NULL;
        long biasOff;

        int flags() {
            int f = colOffset.equals(MemorySegment.NULL) ? 0 : VnniGemmKernels.OFFSETS;
            if (!scale.equals(MemorySegment.NULL)) {
                f |= VnniGemmKernels.SCALE;
                if (!bias.equals(MemorySegment.NULL)) {
                    f |= VnniGemmKernels.BIAS;
                }
            }
            return f;
        }
    }

    /**
     * Row tiles {@code [tileFrom, tileTo)} of A times the full panel {@code p} of B, epilogue
     * included, written straight to {@code y} (native, row-major {@code [m, n]} from {@code yAddress}).
     */
    void multiplyInto(
            Operand a,
            MemorySegment b,
            long bOff,
            int m,
            int k,
            int n,
            int tileFrom,
            int tileTo,
            int p,
            Epilogue e,
            long yAddress,
            Scratch sc) {
        int flags = e.flags();
        int col0 = p * NR;
        if ((flags & VnniGemmKernels.OFFSETS) != 0) {
            MemorySegment.copy(e.colOffset, I32, e.colOffsetOff + 4L * col0, sc.ints, 0, NR);
            for (int j = 0; j < NR; j++) {
                sc.negOff.setAtIndex(ValueLayout.JAVA_INT, j, -sc.ints[j]);
            }
        }
        if ((flags & VnniGemmKernels.SCALE) != 0) {
            // The same f32 product the Vector API epilogue multiplies by: scaleFactor · scale[j].
            if (e.scalePerColumn) {
                MemorySegment.copy(e.scale, F32, e.scaleOff + 4L * col0, sc.floats, 0, NR);
            } else {
                java.util.Arrays.fill(sc.floats, e.scale.get(F32, e.scaleOff));
            }
            for (int j = 0; j < NR; j++) {
                sc.scales.setAtIndex(ValueLayout.JAVA_FLOAT, j, e.scaleFactor * sc.floats[j]);
            }
        }
        if ((flags & VnniGemmKernels.BIAS) != 0) {
            MemorySegment.copy(e.bias, F32, e.biasOff + 4L * col0, sc.biases, ValueLayout.JAVA_FLOAT, 0, NR);
        }
        sc.set(VnniGemmKernels.NEG_OFF, sc.negOff.address());
        sc.set(VnniGemmKernels.SCALES, sc.scales.address());
        sc.set(VnniGemmKernels.BIASES, sc.biases.address());
        long ldy = 4L * n;
        long y = yAddress + 4L * col0 + (long) tileFrom * MR * ldy;
        run(a, b, bOff, m, k, n, tileFrom, tileTo, p, flags, y, ldy, sc);
    }

    /**
     * Row tiles {@code [tileFrom, tileTo)} of A times panel {@code p} of B into {@code tile}, no
     * epilogue: {@code tile[(t - tileFrom) · MR · NR + r · NR + j]} is the exact {@code sum_k (a - zp)
     * · b} of row {@code t · MR + r} and column {@code p · NR + j}, for {@link Int8Gemm}'s epilogue
     * (the last, partial panel, or a Y that is not native memory).
     */
    void multiply(
            Operand a,
            MemorySegment b,
            long bOff,
            int m,
            int k,
            int n,
            int tileFrom,
            int tileTo,
            int p,
            Scratch sc,
            int[] tile) {
        int tiles = tileTo - tileFrom;
        long tileInts = (long) MR * NR;
        MemorySegment c = sc.sums(tiles * tileInts * 4);
        run(a, b, bOff, m, k, n, tileFrom, tileTo, p, 0, c.address(), NR * 4L, sc);
        MemorySegment.copy(c, I32, 0, tile, 0, (int) (tiles * tileInts));
    }

    /**
     * Fills the block's operands and runs the full tiles, then the last, shorter one; {@code y} is
     * where row {@code tileFrom · MR} of the panel goes.
     */
    private void run(
            Operand a,
            MemorySegment b,
            long bOff,
            int m,
            int k,
            int n,
            int tileFrom,
            int tileTo,
            int p,
            int flags,
            long y,
            long ldy,
            Scratch sc) {
        int quads = quads(k);
        long panelBytes = (long) quads * VnniGemmKernels.QUAD_BYTES;
        MemorySegment.copy(b, I32, bOff + panels(n) * panelBytes + (long) p * NR * 4, sc.ints, 0, NR);
        for (int j = 0; j < NR; j++) {
            sc.init.setAtIndex(ValueLayout.JAVA_INT, j, -a.zp * sc.ints[j]);
        }
        sc.set(VnniGemmKernels.LDA, a.lda);
        sc.set(VnniGemmKernels.B, b.address() + bOff + p * panelBytes);
        sc.set(VnniGemmKernels.QUADS, quads);
        sc.set(VnniGemmKernels.INIT, sc.init.address());
        sc.set(VnniGemmKernels.LDY, ldy);
        int fullTo = Math.min(tileTo, m / MR);
        if (fullTo > tileFrom) {
            long row = (long) tileFrom * MR;
            sc.set(VnniGemmKernels.A, a.address() + row * a.lda);
            sc.set(VnniGemmKernels.TILES, fullTo - tileFrom);
            sc.set(VnniGemmKernels.Y, y);
            sc.set(VnniGemmKernels.ROW_SUM, a.rowSumAddress(row));
            kernels.run(MR, flags, sc.params.address());
        }
        if (tileTo > fullTo) {
            long row = (long) fullTo * MR;
            sc.set(VnniGemmKernels.A, a.address() + row * a.lda);
            sc.set(VnniGemmKernels.TILES, 1);
            sc.set(VnniGemmKernels.Y, y + (fullTo - tileFrom) * MR * ldy);
            sc.set(VnniGemmKernels.ROW_SUM, a.rowSumAddress(row));
            kernels.run(m - fullTo * MR, flags, sc.params.address());
        }
    }
}
