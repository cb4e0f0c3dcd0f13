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

    /**
     * Calls that take the scalar twin; every later call takes the vector blocks ({@link
     * VectorWarmth#firstRuns}): the first three steps of a 22-layer decoder, its first prompt and
     * first tokens.
     */
    static final int TWIN_RUNS = 64;

    private static final VectorWarmth WARMTH = VectorWarmth.firstRuns(TWIN_RUNS);

    private SiluMul() {}

    /** {@code y[i] = silu(gate[i]) * up[i]} for {@code count} floats from offset 0; {@code par} may be null. */
    public static void run(MemorySegment gate, MemorySegment up, MemorySegment y, long count, Parallelism par) {
        if (!WARMTH.warm() && !WARMTH.sample()) {
            for (long start = 0; start < count; start += BinaryBlocks.BLOCK) {
                scalarBlock(gate, up, y, start, (int) Math.min(BinaryBlocks.BLOCK, count - start));
            }
        } else {
            DRIVER.run(gate, up, y, count, par);
        }
    }

    /**
     * {@link #block}'s scalar twin for a fresh JVM ({@link VectorWarmth}), on array chunks ({@link
     * TwinChunks}): the vector part's lanes by {@link VectorExp#exp(float)} and the vector formula,
     * the block's tail by the tail's own formula, so the same bits. Run on the calling thread, not
     * through the driver, whose op call site then only ever sees the vector block.
     */
    static void scalarBlock(MemorySegment gate, MemorySegment up, MemorySegment y, long start, int n) {
        float[][] rows = TwinChunks.rows(2);
        float[] g = rows[0];
        float[] u = rows[1];
        int bound = n - n % S.length();
        for (int c = 0; c < n; c += TwinChunks.CHUNK) {
            int m = Math.min(TwinChunks.CHUNK, n - c);
            long at = 4L * (start + c);
            MemorySegment.copy(gate, F32, at, g, 0, m);
            MemorySegment.copy(up, F32, at, u, 0, m);
            for (int j = 0; j < m; j++) {
                float v = g[j];
                g[j] = c + j < bound
                        ? v * (1f / (VectorExp.exp(-v) + 1f)) * u[j]
                        : v / (1f + (float) Math.exp(-v)) * u[j];
            }
            MemorySegment.copy(g, 0, y, F32, at, m);
        }
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
