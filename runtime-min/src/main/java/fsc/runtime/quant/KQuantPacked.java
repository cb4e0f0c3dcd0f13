package fsc.runtime.quant;

import fsc.runtime.x86.KQuantPackedKernels;
import fsc.runtime.x86.RepackKernels;
import java.lang.foreign.MemorySegment;

/**
 * Q4_K and Q6_K weight matrices repacked for {@link KQuantPackedKernels} (its class comment has the
 * layouts: per group of 16 rows and super-block, the quant bytes four per row per 64-byte part, the
 * rows' scales (Q4_K's six-bit scales and mins unpacked) as bytes, the f16 factors), made once per
 * matrix on first use ({@link RowGroupRepack}, kept by {@link DerivedWeights}). In GGUF's layout
 * the per-row work of a super-block (unpacking {@code get_scale_min_k4}, spreading the scales,
 * reducing the sums across lanes) kept K-quant decode instruction-bound; packed, it is a sequential
 * stream of plain loads and lane-wise integer dot products. Off with {@code -Dfsc.q80.repack=false},
 * the switch of every repacked format.
 */
final class KQuantPacked {
    private static final int ROWS = KQuantPackedKernels.ROWS;

    private static final DerivedWeights Q4_K = new DerivedWeights(KQuantPacked::packQ4K);
    private static final DerivedWeights Q6_K = new DerivedWeights(KQuantPacked::packQ6K);

    private KQuantPacked() {}

    /**
     * The packed form of the whole 16-row groups of the {@code type} (Q4_K or Q6_K) matrix {@code
     * w}, packed now if this is its first use.
     */
    static MemorySegment of(GgmlType type, MemorySegment w, long rowBytes, int blocks) {
        return (type == GgmlType.Q4_K ? Q4_K : Q6_K).of(w, rowBytes, blocks);
    }

    private static MemorySegment packQ4K(MemorySegment w, long rowBytes, int blocks) {
        return RowGroupRepack.repack(w, rowBytes, blocks, RepackKernels.Q4_K, q4KShuffle(rowBytes, blocks));
    }

    /** The Java form of the Q4_K repack of one group of 16 rows of {@code blocks} super-blocks. */
    static RowGroupRepack.Shuffle q4KShuffle(long rowBytes, int blocks) {
        int blockBytes = KQuantPackedKernels.BLOCK_BYTES;
        return (src, dst) -> {
            MemorySegment rows = MemorySegment.ofArray(src);
            for (int b = 0; b < blocks; b++) {
                int d = b * blockBytes;
                for (int r = 0; r < ROWS; r++) {
                    int at = Math.toIntExact(r * rowBytes + 144L * b);
                    RowGroupRepack.copy2(src, at, dst, d + KQuantPackedKernels.D + 2 * r);
                    RowGroupRepack.copy2(src, at + 2, dst, d + KQuantPackedKernels.DMIN + 2 * r);
                    for (int j = 0; j < 8; j++) {
                        dst[d + KQuantPackedKernels.SCALES + 16 * j + r] = (byte) Dequantize.scaleK4(rows, at + 4, j);
                        dst[d + KQuantPackedKernels.MINS + 32 * (j / 2) + 2 * r + j % 2] =
                                (byte) Dequantize.minK4(rows, at + 4, j);
                    }
                    for (int part = 0; part < 32; part++) {
                        RowGroupRepack.copy4(
                                src, at + 16 + 4 * part, dst, d + KQuantPackedKernels.QUANTS + 64 * part + 4 * r);
                    }
                }
            }
        };
    }

    private static MemorySegment packQ6K(MemorySegment w, long rowBytes, int blocks) {
        return RowGroupRepack.repack(w, rowBytes, blocks, RepackKernels.Q6_K, q6KShuffle(rowBytes, blocks));
    }

    /** The Java form of the Q6_K repack of one group of 16 rows of {@code blocks} super-blocks. */
    static RowGroupRepack.Shuffle q6KShuffle(long rowBytes, int blocks) {
        int blockBytes = KQuantPackedKernels.Q6_BLOCK_BYTES;
        return (src, dst) -> {
            for (int b = 0; b < blocks; b++) {
                int d = b * blockBytes;
                for (int r = 0; r < ROWS; r++) {
                    int at = Math.toIntExact(r * rowBytes + 210L * b);
                    for (int h = 0; h < 2; h++) {
                        for (int c = 0; c < 8; c++) { // run 8h + c: qh, then ql 64h + 4c, then ql 64h + 32 + 4c
                            int run = d + KQuantPackedKernels.Q6_PARTS + 192 * (8 * h + c) + 4 * r;
                            RowGroupRepack.copy4(src, at + 128 + 32 * h + 4 * c, dst, run);
                            RowGroupRepack.copy4(src, at + 64 * h + 4 * c, dst, run + 64);
                            RowGroupRepack.copy4(src, at + 64 * h + 32 + 4 * c, dst, run + 128);
                        }
                    }
                    for (int sub = 0; sub < 16; sub++) {
                        dst[d + KQuantPackedKernels.Q6_SCALES + 16 * sub + r] = src[at + 192 + sub];
                    }
                    RowGroupRepack.copy2(src, at + 208, dst, d + KQuantPackedKernels.Q6_D + 2 * r);
                }
            }
        };
    }
}
