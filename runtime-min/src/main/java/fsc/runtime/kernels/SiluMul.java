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
    /** Elements below which a call stays on the calling thread. */
    static final long MIN_PARALLEL = 32 * 1024;

    private static final BinaryBlocks DRIVER = new BinaryBlocks(SiluMul::block, MIN_PARALLEL);

    private SiluMul() {}

    /** {@code y[i] = silu(gate[i]) * up[i]} for {@code count} floats from offset 0; {@code par} may be null. */
    public static void run(MemorySegment gate, MemorySegment up, MemorySegment y, long count, Parallelism par) {
        DRIVER.run(gate, up, y, count, par);
    }

    /** Elements {@code [start, start + n)} ({@link BinaryBlocks.BlockOp}). */
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
}
