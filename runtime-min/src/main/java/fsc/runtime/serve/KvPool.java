package fsc.runtime.serve;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * Block bookkeeping for many sequences over one paged KV cache: a free list, a reference count per
 * block, a block table row per slot, and a prefix cache that lets sequences with a common prompt
 * prefix share blocks (vLLM's automatic prefix caching).
 *
 * <p>Only full blocks are shared, and a sequence's last prompt token always lands in a block of its
 * own (see {@link #sharePrefix}), so no step ever writes into a shared block: copy-on-write reduces
 * to "never write a block whose count is above one", which {@link #append} checks. A block whose
 * count drops to zero stays in the prefix cache as evictable (least recently used first) until the
 * free list runs dry, so a repeated system prompt hits even when its requests do not overlap.
 * Not thread-safe: the engine thread owns it.
 */
public final class KvPool {
    private final int numBlocks;
    private final int blockSize;
    private final int width;
    private final int[] refs;
    private final int[] free;
    private int freeCount;
    /** Blocks with count zero that still hold a cached prefix, least recently used first. */
    private final LinkedHashSet<Integer> evictable = new LinkedHashSet<>();
    /** Prefix (all tokens up to a block's end) → the block holding its last block of keys. */
    private final Map<PrefixKey, Integer> cache = new HashMap<>();

    private final PrefixKey[] keyOf;
    private final int[][] table;
    private final int[] held;
    private final int[] length;
    private long lookups;
    private long hitBlocks;
    private long lookedUpBlocks;
    private int peakUsed;

    /** Token content of a prefix; compared by value so a hash collision can never share wrong keys. */
    private record PrefixKey(int[] tokens) {
        @Override
        public boolean equals(Object o) {
            return o instanceof PrefixKey k && Arrays.equals(tokens, k.tokens);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(tokens);
        }
    }

    /**
     * @param slots sequences that may hold blocks at once (rows of the block table)
     * @param maxContext positions one sequence may hold
     */
    public KvPool(int numBlocks, int blockSize, int slots, int maxContext) {
        if (numBlocks < 1 || blockSize < 1 || slots < 1 || maxContext < 1) {
            throw new IllegalArgumentException("KV pool needs positive sizes, got " + numBlocks + "/" + blockSize + "/"
                    + slots + "/" + maxContext);
        }
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.width = (maxContext + blockSize - 1) / blockSize;
        this.refs = new int[numBlocks];
        this.free = new int[numBlocks];
        for (int i = 0; i < numBlocks; i++) {
            free[i] = numBlocks - 1 - i;
        }
        this.freeCount = numBlocks;
        this.keyOf = new PrefixKey[numBlocks];
        this.table = new int[slots][width];
        for (int[] row : table) {
            Arrays.fill(row, -1);
        }
        this.held = new int[slots];
        this.length = new int[slots];
    }

    public int blockSize() {
        return blockSize;
    }

    public int numBlocks() {
        return numBlocks;
    }

    public int slots() {
        return table.length;
    }

    /** Blocks per table row. */
    public int width() {
        return width;
    }

    /** Blocks some sequence holds (count above zero): zero when the server is idle, or blocks leaked. */
    public int usedBlocks() {
        return numBlocks - freeCount - evictable.size();
    }

    /** Blocks held by no sequence but kept for their cached prefix. */
    public int cachedBlocks() {
        return evictable.size();
    }

    /** Blocks an allocation can take now (free plus evictable). */
    public int availableBlocks() {
        return freeCount + evictable.size();
    }

    public int peakUsedBlocks() {
        return peakUsed;
    }

    public int length(int slot) {
        return length[slot];
    }

    /** Blocks {@code slot} needs to grow by {@code count} positions. */
    public int blocksNeeded(int slot, int count) {
        return blocksFor(length[slot] + count) - held[slot];
    }

    /** How many more positions {@code slot} can take without running out of blocks or table width. */
    public int appendable(int slot) {
        int inBlock = held[slot] * blockSize - length[slot];
        long more = inBlock + (long) Math.min(availableBlocks(), width - held[slot]) * blockSize;
        return (int) Math.min(Integer.MAX_VALUE, more);
    }

    /**
     * Reserves {@code count} more positions of {@code slot}, taking blocks as needed; returns the
     * first new position. The caller has checked {@link #appendable}.
     */
    public int append(int slot, int count) {
        if (count > appendable(slot)) {
            throw new IllegalStateException(
                    "slot " + slot + " cannot take " + count + " positions, " + appendable(slot) + " fit");
        }
        int start = length[slot];
        if (held[slot] > 0 && start % blockSize != 0 && refs[table[slot][held[slot] - 1]] > 1) {
            throw new IllegalStateException("slot " + slot + " would write into shared block "
                    + table[slot][held[slot] - 1] + " (only full blocks are shared)");
        }
        int need = blocksNeeded(slot, count);
        for (int i = 0; i < need; i++) {
            int b = take();
            refs[b] = 1;
            table[slot][held[slot]++] = b;
        }
        length[slot] = start + count;
        peakUsed = Math.max(peakUsed, usedBlocks());
        return start;
    }

    /**
     * Points the empty {@code slot} at cached blocks holding the longest cached prefix of {@code
     * tokens}, whole blocks only and never the block of the last token (its logits must be computed);
     * returns the positions now filled.
     */
    public int sharePrefix(int slot, int[] tokens) {
        if (held[slot] != 0) {
            throw new IllegalStateException("slot " + slot + " shares a prefix while holding blocks");
        }
        int candidates = (tokens.length - 1) / blockSize;
        lookups++;
        lookedUpBlocks += candidates;
        int matched = 0;
        for (int i = 0; i < candidates; i++) {
            Integer b = cache.get(new PrefixKey(Arrays.copyOf(tokens, (i + 1) * blockSize)));
            if (b == null) {
                break;
            }
            if (refs[b] == 0) {
                evictable.remove(b);
            }
            refs[b]++;
            table[slot][held[slot]++] = b;
            matched++;
        }
        hitBlocks += matched;
        length[slot] = matched * blockSize;
        peakUsed = Math.max(peakUsed, usedBlocks());
        return length[slot];
    }

    /** Offers the full blocks of {@code slot} whose keys are computed ({@code computed} positions) to the prefix cache. */
    public void register(int slot, int[] tokens, int computed) {
        int full = Math.min(computed / blockSize, held[slot]);
        for (int i = 0; i < full; i++) {
            int b = table[slot][i];
            if (keyOf[b] != null) {
                continue;
            }
            PrefixKey key = new PrefixKey(Arrays.copyOf(tokens, (i + 1) * blockSize));
            if (!cache.containsKey(key)) {
                cache.put(key, b);
                keyOf[b] = key;
            }
        }
    }

    /**
     * Keeps the first {@code keep} positions of {@code slot} and gives back the blocks past them:
     * speculative decoding reserves positions for draft tokens and returns the rejected ones.
     */
    public void truncate(int slot, int keep) {
        if (keep < 0 || keep > length[slot]) {
            throw new IllegalArgumentException(
                    "slot " + slot + " holds " + length[slot] + " positions, cannot keep " + keep);
        }
        int blocks = blocksFor(keep);
        while (held[slot] > blocks) {
            int b = table[slot][--held[slot]];
            table[slot][held[slot]] = -1;
            if (--refs[b] == 0) {
                if (keyOf[b] != null) {
                    evictable.add(b);
                } else {
                    free[freeCount++] = b;
                }
            }
        }
        length[slot] = keep;
    }

    /** Ends {@code slot}'s hold on its blocks; a block nobody holds is freed or kept as a cached prefix. */
    public void release(int slot) {
        // Last block first, so an evicted prefix loses its tail before its head.
        for (int i = held[slot] - 1; i >= 0; i--) {
            int b = table[slot][i];
            if (--refs[b] == 0) {
                if (keyOf[b] != null) {
                    evictable.add(b);
                } else {
                    free[freeCount++] = b;
                }
            }
            if (refs[b] < 0) {
                throw new IllegalStateException("block " + b + " released more often than taken");
            }
        }
        Arrays.fill(table[slot], -1);
        held[slot] = 0;
        length[slot] = 0;
    }

    /** Row {@code slot} of the block table (-1 past the held blocks); a copy. */
    public int[] row(int slot) {
        return table[slot].clone();
    }

    /** Copies every row of the block table into {@code dest} ({@code slots × width}, row-major). */
    public void copyTable(int[] dest) {
        for (int s = 0; s < table.length; s++) {
            System.arraycopy(table[s], 0, dest, s * width, width);
        }
    }

    /** Fraction of looked-up prefix blocks that were found in the cache. */
    public double prefixHitRate() {
        return lookedUpBlocks == 0 ? 0 : (double) hitBlocks / lookedUpBlocks;
    }

    public long prefixHitBlocks() {
        return hitBlocks;
    }

    public long prefixLookups() {
        return lookups;
    }

    private int take() {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        var it = evictable.iterator();
        if (!it.hasNext()) {
            throw new IllegalStateException("no KV block to take");
        }
        int b = it.next();
        it.remove();
        cache.remove(keyOf[b]);
        keyOf[b] = null;
        return b;
    }

    private int blocksFor(int positions) {
        return (positions + blockSize - 1) / blockSize;
    }
}
