package fsc.backend.cuda;

import fsc.ir.Dim;
import java.util.List;
import java.util.Map;

/**
 * A kernel's launch geometry, decided in Java at compile time: each grid axis covers {@code work}
 * items at {@code perBlock} items per block (capped, for grid-stride loops), the block shape is
 * fixed, and dynamic shared memory is the sum of {@code sharedBytes} (monomials, so it may grow with
 * a symbol such as the sequence length). The host class evaluates the same formulas with the call's symbol
 * values.
 */
public record Launch(List<Extent> grid, List<Integer> block, List<Dim> sharedBytes) {

    /** Largest grid.x we ask for; grid-stride loops cover the rest (2^31-1 is the hardware limit). */
    public static final long MAX_BLOCKS = 1L << 20;

    /** Hardware limit of grid.y and grid.z. */
    public static final long MAX_YZ = 65535;

    /** One grid axis: {@code ceil(work / perBlock)} blocks, at least 1 and at most {@code cap}. */
    public record Extent(Dim work, long perBlock, long cap) {
        public long blocks(Map<String, Long> symbols) {
            long w = work.evaluate(symbols);
            long b = (w + perBlock - 1) / perBlock;
            return Math.max(1, Math.min(b, cap));
        }
    }

    public Launch {
        if (grid.size() != 3 || block.size() != 3) {
            throw new IllegalStateException("launch needs 3 grid and 3 block axes, got " + grid + " " + block);
        }
        int threads = block.get(0) * block.get(1) * block.get(2);
        if (threads < 1 || threads > 1024) {
            throw new IllegalStateException("block of " + threads + " threads (expected 1..1024)");
        }
        grid = List.copyOf(grid);
        block = List.copyOf(block);
        sharedBytes = List.copyOf(sharedBytes);
    }

    /** A 1-D grid-stride launch over {@code work} items with {@code threads} threads per block. */
    public static Launch linear(Dim work, int threads) {
        return new Launch(
                List.of(new Extent(work, threads, MAX_BLOCKS), one(), one()), List.of(threads, 1, 1), List.of());
    }

    /** One block of {@code threads} per row, {@code rows} rows (on grid.x, which has room for any count). */
    public static Launch perRow(Dim rows, int threads) {
        return new Launch(
                List.of(new Extent(rows, 1, Integer.MAX_VALUE), one(), one()), List.of(threads, 1, 1), List.of());
    }

    static Extent one() {
        return new Extent(Dim.of(1), 1, 1);
    }

    /** Dynamic shared memory for one call, in bytes. */
    public long sharedFor(Map<String, Long> symbols) {
        return sharedBytes.stream().mapToLong(d -> d.evaluate(symbols)).sum();
    }

    /** Grid sizes for one call. */
    public long[] gridFor(Map<String, Long> symbols) {
        return grid.stream().mapToLong(e -> e.blocks(symbols)).toArray();
    }
}
