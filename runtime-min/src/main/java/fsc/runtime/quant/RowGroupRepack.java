package fsc.runtime.quant;

import fsc.runtime.HugePages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The copy loop of the repacked weight formats ({@link Q80Packed}, {@link KQuantPacked}): the
 * whole groups of {@code rows} consecutive rows of a matrix, each rewritten by a format's shuffle
 * into a packed group of a fixed size, one group after another on 2 MB pages ({@link HugePages}).
 * A group's rows are contiguous in GGUF, so each is one copy in, the shuffle on heap arrays, one
 * copy out. When the source is a mapped file its pages are given back afterwards ({@code unload}):
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

    /** The packed whole groups of {@code w} (rows {@code rowBytes} apart), {@code packedGroup} bytes each. */
    static MemorySegment repack(MemorySegment w, long rowBytes, int rows, int packedGroup, Shuffle shuffle) {
        long groups = w.byteSize() / rowBytes / rows;
        MemorySegment packed = HugePages.allocate(Arena.ofAuto(), groups * packedGroup);
        byte[] src = new byte[Math.toIntExact(rows * rowBytes)];
        byte[] dst = new byte[packedGroup];
        for (long g = 0; g < groups; g++) {
            MemorySegment.copy(w, ValueLayout.JAVA_BYTE, g * src.length, src, 0, src.length);
            shuffle.group(src, dst);
            MemorySegment.copy(dst, 0, packed, ValueLayout.JAVA_BYTE, g * packedGroup, packedGroup);
        }
        if (w.isMapped()) {
            w.unload();
        }
        return packed;
    }
}
