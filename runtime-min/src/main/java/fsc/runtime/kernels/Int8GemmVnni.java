package fsc.runtime.kernels;

import fsc.runtime.x86.VnniGemmKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Int8Gemm} on AVX-512 VNNI: the products run in fsc's own {@code vpdpbusd} tiles ({@link
 * VnniGemmKernels}); this class lays the operands out for them and hands {@link Int8Gemm}'s
 * epilogue the exact int32 sums it expects.
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
    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_512;

    private final VnniGemmKernels kernels;

    Int8GemmVnni(VnniGemmKernels kernels) {
        this.kernels = kernels;
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
        long address;
        long lda;
        /** The zero point of the u8 values the kernel reads. */
        int zp;

        void prepare(MemorySegment a, long aOff, int m, int k, boolean unsigned, int aZp) {
            long bytes = (long) m * k;
            if (aOff < 0 || aOff + bytes > a.byteSize()) {
                throw new IndexOutOfBoundsException("A of " + m + "x" + k + " bytes at " + aOff + " is outside its "
                        + a.byteSize() + "-byte segment");
            }
            zp = unsigned ? aZp : aZp + 128;
            if (unsigned && k % 4 == 0 && a.isNative()) {
                seg = a;
                segOff = aOff;
                address = a.address() + aOff;
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
                flipSigns(copy, size);
            }
            seg = copy;
            segOff = 0;
            address = copy.address();
        }

        /** {@code rowSum[i] = sum_k (a[i, k] - aZp)}, for the epilogue's column offsets. */
        void rowSums(int m, int k, int[] rowSum) {
            int vecEnd = k / BYTES.length() * BYTES.length();
            for (int i = 0; i < m; i++) {
                long row = segOff + i * lda;
                IntVector sum = IntVector.zero(INTS);
                int kk = 0;
                for (; kk < vecEnd; kk += BYTES.length()) {
                    ByteVector v = ByteVector.fromMemorySegment(BYTES, seg, row + kk, ByteOrder.LITTLE_ENDIAN);
                    sum = sum.add((IntVector) v.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0));
                }
                int s = sum.reduceLanes(VectorOperators.ADD);
                for (; kk < k; kk++) {
                    s += seg.get(ValueLayout.JAVA_BYTE, row + kk) & 0xff;
                }
                rowSum[i] = s - k * zp;
            }
        }

        private static void flipSigns(MemorySegment s, long size) {
            long vecEnd = size / BYTES.length() * BYTES.length();
            long i = 0;
            for (; i < vecEnd; i += BYTES.length()) {
                ByteVector.fromMemorySegment(BYTES, s, i, ByteOrder.LITTLE_ENDIAN)
                        .lanewise(VectorOperators.XOR, (byte) 0x80)
                        .intoMemorySegment(s, i, ByteOrder.LITTLE_ENDIAN);
            }
            for (; i < size; i++) {
                s.set(ValueLayout.JAVA_BYTE, i, (byte) (s.get(ValueLayout.JAVA_BYTE, i) ^ 0x80));
            }
        }
    }

    /** One thread's native tile sums and start row, grown to the largest call seen. */
    static final class Scratch {
        private MemorySegment sums = MemorySegment.NULL;
        private final MemorySegment init = Arena.ofAuto().allocate(NR * 4L, 64);
        private final int[] colSum = new int[NR];

        MemorySegment sums(long bytes) {
            if (sums.byteSize() < bytes) {
                sums = Arena.ofAuto().allocate(Math.max(bytes, 2 * sums.byteSize()), 64);
            }
            return sums;
        }
    }

    /**
     * Row tiles {@code [tileFrom, tileTo)} of A times panel {@code p} of B into {@code tile}:
     * {@code tile[(t - tileFrom) · MR · NR + h · MR · 32 + r · 32 + j]} is the exact {@code sum_k (a -
     * zp) · b} of row {@code t · MR + r} and column {@code p · NR + 32h + j}, the layout of {@link
     * Int8Gemm}'s epilogue.
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
        int quads = quads(k);
        long panelBytes = (long) quads * VnniGemmKernels.QUAD_BYTES;
        long sumsAt = bOff + panels(n) * panelBytes + (long) p * NR * 4;
        MemorySegment.copy(b, I32, sumsAt, sc.colSum, 0, NR);
        for (int j = 0; j < NR; j++) {
            sc.init.setAtIndex(ValueLayout.JAVA_INT, j, -a.zp * sc.colSum[j]);
        }
        int tiles = tileTo - tileFrom;
        long tileInts = (long) MR * NR;
        MemorySegment c = sc.sums(tiles * tileInts * 4);
        long bAddr = b.address() + bOff + p * panelBytes;
        int fullTo = Math.min(tileTo, m / MR);
        if (fullTo > tileFrom) {
            kernels.run(
                    MR,
                    a.address + (long) tileFrom * MR * a.lda,
                    a.lda,
                    bAddr,
                    quads,
                    fullTo - tileFrom,
                    sc.init.address(),
                    c.address());
        }
        if (tileTo > fullTo) {
            kernels.run(
                    m - fullTo * MR,
                    a.address + (long) fullTo * MR * a.lda,
                    a.lda,
                    bAddr,
                    quads,
                    1,
                    sc.init.address(),
                    c.address() + (fullTo - tileFrom) * tileInts * 4);
        }
        MemorySegment.copy(c, I32, 0, tile, 0, (int) (tiles * tileInts));
    }
}
