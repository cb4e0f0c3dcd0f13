package fsc.runtime.quant;

import fsc.runtime.HugePages;
import fsc.runtime.x86.RepackKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;

/**
 * The copy loop of the repacked weight formats ({@link Q80Packed}, {@link KQuantPacked}): the
 * whole groups of 16 consecutive rows of a matrix, each rewritten into a packed group of a fixed
 * size, one group after another on 2 MB pages ({@link HugePages}): in machine code ({@link
 * RepackKernels}) where it runs, else by each format's Java shuffle (a group's rows are contiguous in
 * GGUF, so each is one copy in, the shuffle on heap arrays, one copy out), which is also the
 * kernels' reference in the tests. When the source is a mapped file its pages are given back afterwards ({@code unload}):
 * the kernels read the copy from then on, the pages stay in the page cache, and a tail row read
 * later faults its page in again, so the process holds the weights once, not twice.
 */
final class RowGroupRepack {
    /** Rewrites one group: {@code src} holds its rows in GGUF's layout, {@code dst} gets the packed group. */
    interface Shuffle {
        void group(byte[] src, byte[] dst);
    }

    /** Four bytes as one int, at any byte offset. */
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** Rows per packed group: the lanes of the kernels' vectors. */
    static final int ROWS = 16;

    /**
     * Fewest groups in each half of a repack split between two threads: below it the hand-off
     * costs more than the half (a group of a 2048-wide Q4_K matrix is 19 KB).
     */
    static final int SPLIT_GROUPS = Integer.getInteger("fsc.repack.splitGroups", 64);

    /** The machine-code repacks, or {@code null} where the Java shuffles run. */
    static final RepackKernels NATIVE = RepackKernels.loadIfSupported();

    private RowGroupRepack() {}

    /**
     * Copies bytes {@code from .. from + 3} of {@code src} to {@code to ..} of {@code dst}: one load and
     * one store once compiled, where {@code System.arraycopy} of four bytes is a call (a 1.1B model's
     * repack moves ~150 million such runs; as calls they took seconds of the first token).
     */
    static void copy4(byte[] src, int from, byte[] dst, int to) {
        INT.set(dst, to, (int) INT.get(src, from));
    }

    /** Copies an f16 (bytes {@code from}, {@code from + 1}) of {@code src} to {@code to ..} of {@code dst}. */
    static void copy2(byte[] src, int from, byte[] dst, int to) {
        dst[to] = src[from];
        dst[to + 1] = src[from + 1];
    }

    /**
     * The packed whole groups of 16 rows of {@code w} (rows {@code rowBytes} apart, {@code blocks}
     * blocks each) in {@code format}'s layout ({@link RepackKernels}' formats), by the machine-code
     * repack where it runs, else by {@code shuffle}; the same bytes either way.
     */
    static MemorySegment repack(MemorySegment w, long rowBytes, int blocks, int format, Shuffle shuffle) {
        long groups = w.byteSize() / rowBytes / ROWS;
        int packedGroup = blocks * RepackKernels.packedBlockBytes(format);
        MemorySegment packed = HugePages.allocate(Arena.ofAuto(), groups * packedGroup);
        if (NATIVE != null && w.isNative() && groups > 0) {
            // Two halves on two threads where there are two cores: most of a repack's time is the
            // first touch of the new pages (the kernel zeroing them), which the halves pay in
            // parallel. The kernel takes raw addresses, so the other thread needs no access to w.
            long first =
                    groups >= 2 * SPLIT_GROUPS && Runtime.getRuntime().availableProcessors() > 1 ? groups / 2 : groups;
            long src = w.address();
            long dst = packed.address();
            CompletableFuture<Void> second = first == groups
                    ? null
                    : CompletableFuture.runAsync(() -> runNative(
                            format,
                            src + first * ROWS * rowBytes,
                            rowBytes,
                            blocks,
                            dst + first * packedGroup,
                            groups - first));
            runNative(format, src, rowBytes, blocks, dst, first);
            if (second != null) {
                second.join();
            }
        } else {
            shuffleInto(packed, w, rowBytes, packedGroup, shuffle);
        }
        if (w.isMapped()) {
            w.unload();
        }
        return packed;
    }

    /** Runs the machine-code repack of {@code groups} groups from {@code src} to {@code dst}. */
    private static void runNative(int format, long src, long rowBytes, int blocks, long dst, long groups) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(RepackKernels.PARAM_BYTES, 64);
            p.setAtIndex(ValueLayout.JAVA_LONG, RepackKernels.SRC, src);
            p.setAtIndex(ValueLayout.JAVA_LONG, RepackKernels.ROW_BYTES, rowBytes);
            p.setAtIndex(ValueLayout.JAVA_LONG, RepackKernels.BLOCKS, blocks);
            p.setAtIndex(ValueLayout.JAVA_LONG, RepackKernels.DST, dst);
            p.setAtIndex(ValueLayout.JAVA_LONG, RepackKernels.GROUPS, groups);
            p.setAtIndex(ValueLayout.JAVA_LONG, RepackKernels.LOW6, 63);
            p.setAtIndex(ValueLayout.JAVA_LONG, RepackKernels.LOW4, 15);
            p.setAtIndex(ValueLayout.JAVA_LONG, RepackKernels.LOW2, 3);
            for (int r = 0; r < ROWS; r++) {
                p.set(ValueLayout.JAVA_INT, RepackKernels.INDEX + 4L * r, Math.toIntExact(r * rowBytes));
            }
            NATIVE.run(format, p.address());
        }
    }

    /** The Java form: each group copied in, rewritten by {@code shuffle}, copied out. */
    static void shuffleInto(MemorySegment packed, MemorySegment w, long rowBytes, int packedGroup, Shuffle shuffle) {
        long groups = w.byteSize() / rowBytes / ROWS;
        byte[] src = new byte[Math.toIntExact(ROWS * rowBytes)];
        byte[] dst = new byte[packedGroup];
        for (long g = 0; g < groups; g++) {
            MemorySegment.copy(w, ValueLayout.JAVA_BYTE, g * src.length, src, 0, src.length);
            shuffle.group(src, dst);
            MemorySegment.copy(dst, 0, packed, ValueLayout.JAVA_BYTE, g * packedGroup, packedGroup);
        }
    }
}
