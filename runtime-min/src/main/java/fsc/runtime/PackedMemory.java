package fsc.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Where a model's constructor puts the weights it copies out of the mapped jar or repacks for this
 * CPU (the GEMMs' packed B): 64-byte-aligned pieces cut, in order, from {@link HugePages} chunks
 * owned by the model's arena. One object per constructor; not for use from several threads.
 *
 * <p>Why not {@link Arena#allocate} per weight: it zero-fills, touching every 4 KB page, and the
 * copy then writes each byte again. A fresh anonymous mapping is zero already and, advised for huge
 * pages, is backed 2 MB at a time at its first write: MiniLM's 42 MB of packed weights went from
 * ~25 ms (zeroing and 4 KB page faults) to ~9 ms, and the GEMMs stream them with fewer TLB misses.
 * Sharing chunks keeps a model of many small weights from rounding each one up to 2 MB; the unused
 * tail of the last chunk is address space only (never touched, never resident). Where {@link
 * HugePages} cannot map (not Linux, native access denied) each piece is an ordinary allocation.
 */
public final class PackedMemory {
    /** A chunk's size: large enough that a transformer layer's weights share one. */
    static final long CHUNK = 32L << 20;

    private static final long ALIGN = 64;

    private final Arena owner;
    private MemorySegment chunk;
    private long used;

    public PackedMemory(Arena owner) {
        this.owner = owner;
    }

    /** {@code bytes} zero bytes, 64-byte aligned, alive as long as the owner arena. */
    public MemorySegment allocate(long bytes) {
        long size = Math.max(bytes, 1);
        if (!HugePages.available()) {
            return owner.allocate(size, ALIGN);
        }
        if (size > CHUNK / 2) {
            return HugePages.allocate(owner, size); // a mapping of its own: no chunk tail left unused
        }
        long step = (size + ALIGN - 1) / ALIGN * ALIGN;
        if (chunk == null || chunk.byteSize() - used < step) {
            chunk = HugePages.allocate(owner, CHUNK);
            used = 0;
        }
        MemorySegment piece = chunk.asSlice(used, size);
        used += step;
        return piece;
    }
}
