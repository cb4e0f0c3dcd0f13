package fsc.runtime.quant;

import fsc.runtime.HugePages;
import fsc.runtime.x86.Q80Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q4_0 weight matrices repacked for {@link Q80Kernels#Q4_0_PACKED}, made once per matrix on first
 * use and kept for the matrix's lifetime: per group of 16 rows and per block, the 16 rows' f16
 * scales (32 bytes), then their quants in the order the kernel computes on (64 bytes per four quant
 * bytes of every row: dword {@code r} of part {@code i} is bytes {@code 4i..4i+3} of row {@code r}).
 * Why: read in GGUF's layout, a group is sixteen interleaved row streams, its scales need a gather
 * and its quants four 16-byte inserts and a transpose per register, which kept Q4_0 decode ~15%
 * under the memory bound; packed, a group is one sequential stream of plain loads. This is what
 * llama.cpp does at load time for its repacked CPU types; fsc does it at the first call, in memory
 * beside the mapped file, whose pages it then gives back ({@code unload}), and {@code
 * -Dfsc.q40.repack=false} turns it off.
 *
 * <p>Kept per matrix by {@link DerivedWeights}.
 */
final class Q40Packed {
    /** Whether Q4_0 matrices are repacked (on by default). */
    static final boolean ENABLED = !"false".equals(System.getProperty("fsc.q40.repack"));

    private static final int ROWS = Q80Kernels.ROWS;
    private static final long SOURCE_BLOCK = GgmlType.Q4_0.blockBytes();

    private static final DerivedWeights PACKED = new DerivedWeights(Q40Packed::pack);

    private Q40Packed() {}

    /**
     * The packed form of the whole 16-row groups of the Q4_0 matrix {@code w} (rows {@code rowBytes}
     * apart from byte 0, {@code blocks} blocks each), packed now if this is its first use.
     */
    static MemorySegment of(MemorySegment w, long rowBytes, int blocks) {
        return PACKED.of(w, rowBytes, blocks);
    }

    private static MemorySegment pack(MemorySegment w, long rowBytes, int blocks) {
        long groups = w.byteSize() / rowBytes / ROWS;
        int packedGroup = blocks * Q80Kernels.PACKED_BLOCK_BYTES;
        MemorySegment packed = HugePages.allocate(Arena.ofAuto(), groups * packedGroup);
        // A group's sixteen rows are contiguous: one copy in, the shuffle on heap arrays, one copy out.
        byte[] src = new byte[Math.toIntExact(ROWS * rowBytes)];
        byte[] dst = new byte[packedGroup];
        for (long g = 0; g < groups; g++) {
            MemorySegment.copy(w, ValueLayout.JAVA_BYTE, g * src.length, src, 0, src.length);
            for (int b = 0; b < blocks; b++) {
                int d = b * Q80Kernels.PACKED_BLOCK_BYTES;
                for (int r = 0; r < ROWS; r++) {
                    int at = Math.toIntExact(r * rowBytes + b * SOURCE_BLOCK);
                    dst[d + 2 * r] = src[at];
                    dst[d + 2 * r + 1] = src[at + 1];
                    for (int i = 0; i < 4; i++) {
                        System.arraycopy(src, at + 2 + 4 * i, dst, d + 32 + 64 * i + 4 * r, 4);
                    }
                }
            }
            MemorySegment.copy(dst, 0, packed, ValueLayout.JAVA_BYTE, g * packedGroup, packedGroup);
        }
        if (w.isMapped()) {
            // The decode path reads the copy from now on: give the file's pages back (they stay in
            // the page cache; a tail row read later faults its page in again), so the process holds
            // the weights once, not twice.
            w.unload();
        }
        return packed;
    }
}
