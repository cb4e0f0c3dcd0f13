package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = a + b} over two f32 tensors of one shape (a residual connection), the one runtime kernel
 * every such {@code add} node calls instead of a loop generated per node: a per-node loop runs once
 * per decoder step, so in a prefill it ran in the interpreter or C1 (Vector API not intrinsified) on
 * every call, while {@link #block} is entered per block of every layer and is compiled by C2 in the
 * first step. Large tensors are split into blocks over the team. {@code a.add(b)} per vector and
 * {@code a + b} per tail element, as the emitted loop did: the bits are the same.
 */
public final class AddKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Elements below which a call stays on the calling thread. */
    static final long MIN_PARALLEL = 64 * 1024;

    private static final BinaryBlocks DRIVER = new BinaryBlocks(AddKernel::block, MIN_PARALLEL);

    private AddKernel() {}

    /** {@code y[i] = a[i] + b[i]} for {@code count} floats from offset 0; {@code par} may be null. */
    public static void run(MemorySegment a, MemorySegment b, MemorySegment y, long count, Parallelism par) {
        DRIVER.run(a, b, y, count, par);
    }

    /** Elements {@code [start, start + n)} ({@link BinaryBlocks.BlockOp}). */
    static void block(MemorySegment a, MemorySegment b, MemorySegment y, long start, int n) {
        int vl = S.length();
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += vl) {
            long at = 4L * (start + i);
            FloatVector.fromMemorySegment(S, a, at, LE)
                    .add(FloatVector.fromMemorySegment(S, b, at, LE))
                    .intoMemorySegment(y, at, LE);
        }
        for (; i < n; i++) {
            long at = 4L * (start + i);
            y.set(F32, at, a.get(F32, at) + b.get(F32, at));
        }
    }
}
