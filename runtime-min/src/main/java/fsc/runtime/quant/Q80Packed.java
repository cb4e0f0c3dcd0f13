package fsc.runtime.quant;

import fsc.runtime.x86.Q80Kernels;
import fsc.runtime.x86.RepackKernels;
import java.lang.foreign.MemorySegment;

/**
 * Q4_0 and Q8_0 weight matrices repacked for {@link Q80Kernels#Q4_0_PACKED} and {@link
 * Q80Kernels#Q8_0_PACKED}, made once per matrix on first use and kept for the matrix's lifetime:
 * per group of 16 rows and per block, the 16 rows' f16 scales (32 bytes), then their quants in the
 * order the kernel computes on (64 bytes per four quant bytes of every row: dword {@code r} of part
 * {@code i} is quant bytes {@code 4i..4i+3} of row {@code r}). Why: read in GGUF's layout, a group
 * is sixteen interleaved row streams, its scales need a gather and its quants four 16-byte inserts
 * and a transpose per register, which kept Q4_0 decode ~15% under the memory bound; packed, a group
 * is one sequential stream of plain loads. This is what llama.cpp does at load time for its
 * repacked CPU types; fsc does it at the first call, on 2 MB pages beside the mapped file, whose
 * pages it then gives back ({@code unload}); {@code -Dfsc.q80.repack=false} turns it off.
 *
 * <p>Kept per matrix by {@link DerivedWeights}.
 */
final class Q80Packed {
    /** Whether Q4_0 and Q8_0 matrices are repacked (on by default). */
    static final boolean ENABLED = !"false".equals(System.getProperty("fsc.q80.repack"));

    private static final int ROWS = Q80Kernels.ROWS;

    private static final DerivedWeights Q4_0 = new DerivedWeights(Q80Packed::packQ40);
    private static final DerivedWeights Q8_0 = new DerivedWeights(Q80Packed::packQ80);

    private Q80Packed() {}

    /**
     * The packed form of the whole 16-row groups of the matrix {@code w} of {@code format} ({@link
     * Q80Kernels#Q4_0} or {@link Q80Kernels#Q8_0}; rows {@code rowBytes} apart from byte 0, {@code
     * blocks} blocks each), packed now if this is its first use.
     */
    static MemorySegment of(int format, MemorySegment w, long rowBytes, int blocks) {
        return (format == Q80Kernels.Q4_0 ? Q4_0 : Q8_0).of(w, rowBytes, blocks);
    }

    private static MemorySegment packQ40(MemorySegment w, long rowBytes, int blocks) {
        return RowGroupRepack.repack(
                w, rowBytes, blocks, RepackKernels.Q4_0, shuffle(Q80Kernels.Q4_0, rowBytes, blocks));
    }

    private static MemorySegment packQ80(MemorySegment w, long rowBytes, int blocks) {
        return RowGroupRepack.repack(
                w, rowBytes, blocks, RepackKernels.Q8_0, shuffle(Q80Kernels.Q8_0, rowBytes, blocks));
    }

    /** The Java form of the repack of one group of 16 rows of {@code format} ({@link Q80Kernels#Q4_0} or Q8_0). */
    static RowGroupRepack.Shuffle shuffle(int format, long rowBytes, int blocks) {
        int blockBytes = Q80Kernels.packedBlockBytes(format);
        int parts = Q80Kernels.packedParts(format);
        long sourceBlock = (format == Q80Kernels.Q4_0 ? GgmlType.Q4_0 : GgmlType.Q8_0).blockBytes();
        return (src, dst) -> {
            for (int b = 0; b < blocks; b++) {
                int d = b * blockBytes;
                for (int r = 0; r < ROWS; r++) {
                    int at = Math.toIntExact(r * rowBytes + b * sourceBlock);
                    RowGroupRepack.copy2(src, at, dst, d + 2 * r);
                    for (int i = 0; i < parts; i++) {
                        RowGroupRepack.copy4(src, at + 2 + 4 * i, dst, d + 32 + 64 * i + 4 * r);
                    }
                }
            }
        };
    }
}
