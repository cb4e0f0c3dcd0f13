package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = silu(gate) * up} elementwise (the SwiGLU of LLaMA-family FFNs), the one runtime kernel
 * every layer's fused {@code silu, mul} node calls. A loop generated per node runs once per decoder
 * step, so in a prefill it ran in the interpreter or C1 (Vector API not intrinsified) on every call;
 * {@link #block} is entered per block of {@link #BLOCK} elements of every layer, so C2 compiles it
 * within the first step, and blocks are split over the team.
 *
 * <p>Per element the operations are those the fused-elementwise emitter generates for this body
 * (vector: {@code v * (1 / (exp(-v) + 1))} with {@link FloatMath#exp}, then {@code * up}; scalar
 * tail: {@code v / (1 + (float) Math.exp(-v)) * up}), so results are bit-identical to it.
 */
public final class SiluMul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Elements per block: a whole number of vectors, small enough that a call is many blocks. */
    static final int BLOCK = 4096;
    /** Elements below which a call stays on the calling thread. */
    static final long MIN_PARALLEL = 32 * 1024;

    private static final ThreadLocal<Task> TASK = ThreadLocal.withInitial(Task::new);

    private SiluMul() {}

    /** {@code y[i] = silu(gate[i]) * up[i]} for {@code count} floats from offset 0; {@code par} may be null. */
    public static void run(MemorySegment gate, MemorySegment up, MemorySegment y, long count, Parallelism par) {
        int blocks = Math.toIntExact((count + BLOCK - 1) / BLOCK);
        if (par == null || par.threads() == 1 || count < MIN_PARALLEL) {
            blocks(gate, up, y, count, 0, blocks);
            return;
        }
        Task t = TASK.get();
        t.gate = gate;
        t.up = up;
        t.y = y;
        t.count = count;
        par.forChunks(0, blocks, par.chunkFor(blocks, 1, 4), t);
        t.gate = t.up = t.y = null; // do not keep the caller's buffers reachable
    }

    private static void blocks(MemorySegment gate, MemorySegment up, MemorySegment y, long count, int from, int to) {
        for (int b = from; b < to; b++) {
            long start = (long) b * BLOCK;
            block(gate, up, y, start, (int) Math.min(BLOCK, count - start));
        }
    }

    /** Elements {@code [start, start + n)}. */
    static void block(MemorySegment gate, MemorySegment up, MemorySegment y, long start, int n) {
        int vl = S.length();
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += vl) {
            long at = 4L * (start + i);
            FloatVector v = FloatVector.fromMemorySegment(S, gate, at, LE);
            FloatVector silu = v.mul(v.broadcast(1f).div(FloatMath.exp(v.neg()).add(1f)));
            silu.mul(FloatVector.fromMemorySegment(S, up, at, LE)).intoMemorySegment(y, at, LE);
        }
        for (; i < n; i++) {
            long at = 4L * (start + i);
            float v = gate.get(F32, at);
            y.set(F32, at, v / (1f + (float) Math.exp(-v)) * up.get(F32, at));
        }
    }

    private static final class Task implements Parallelism.IntRangeBody {
        MemorySegment gate;
        MemorySegment up;
        MemorySegment y;
        long count;

        @Override
        public void run(int from, int to) {
            blocks(gate, up, y, count, from, to);
        }
    }
}
