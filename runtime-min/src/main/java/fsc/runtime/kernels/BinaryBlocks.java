package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;

/**
 * The driver every element-wise runtime kernel of two f32 inputs shares ({@link AddKernel},
 * {@link SiluMul}): {@code y[i] = op(a[i], b[i])} for {@code count} floats, cut into blocks of
 * {@link #BLOCK} elements, run on the calling thread below a size and otherwise split over the team
 * in about four chunks per thread, with a per-thread reusable task so a call allocates nothing.
 *
 * <p>The op is a method entered once per block, not a loop generated per node: a decoder calls each
 * node once per step, so a per-node loop stayed in the interpreter or C1 (Vector API not
 * intrinsified) for hundreds of steps, while a block method shared by every layer is compiled by C2
 * in the first step. A block's elements are computed by the same code whatever the split, so the
 * results are bit-identical for every thread count.
 */
final class BinaryBlocks {
    /** One block of an element-wise op: elements {@code [start, start + n)}, {@code n <= BLOCK}. */
    @FunctionalInterface
    interface BlockOp {
        void block(MemorySegment a, MemorySegment b, MemorySegment y, long start, int n);
    }

    /** Elements per block: a whole number of vectors, small enough that a call is many blocks. */
    static final int BLOCK = 4096;

    private final BlockOp op;
    private final long minParallel;
    private final ThreadLocal<Task> task;

    /** An op whose calls stay on the calling thread below {@code minParallel} elements. */
    BinaryBlocks(BlockOp op, long minParallel) {
        this.op = op;
        this.minParallel = minParallel;
        this.task =
                new ThreadLocal<>() { // a subclass, not withInitial: no lambda to spin cold
                    @Override
                    protected Task initialValue() {
                        return new Task(op);
                    }
                };
    }

    /** {@code y[i] = op(a[i], b[i])} for {@code count} floats from offset 0; {@code par} may be null. */
    void run(MemorySegment a, MemorySegment b, MemorySegment y, long count, Parallelism par) {
        int blocks = Math.toIntExact((count + BLOCK - 1) / BLOCK);
        if (par == null || par.threads() == 1 || count < minParallel) {
            blocks(op, a, b, y, count, 0, blocks);
            return;
        }
        Task t = task.get();
        t.a = a;
        t.b = b;
        t.y = y;
        t.count = count;
        par.forChunks(0, blocks, par.chunkFor(blocks, 1, 4), t);
        t.a = t.b = t.y = null; // do not keep the caller's buffers reachable
    }

    private static void blocks(
            BlockOp op, MemorySegment a, MemorySegment b, MemorySegment y, long count, int from, int to) {
        for (int k = from; k < to; k++) {
            long start = (long) k * BLOCK;
            op.block(a, b, y, start, (int) Math.min(BLOCK, count - start));
        }
    }

    private static final class Task implements Parallelism.IntRangeBody {
        final BlockOp op;
        MemorySegment a;
        MemorySegment b;
        MemorySegment y;
        long count;

        Task(BlockOp op) {
            this.op = op;
        }

        @Override
        public void run(int from, int to) {
            blocks(op, a, b, y, count, from, to);
        }
    }
}
