package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import fsc.runtime.x86.AddKernels;
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
 * {@code a + b} per tail element, as the emitted loop did: the bits are the same, and the same as the
 * scalar twin's that a fresh JVM runs until the vector loop is compiled.
 */
public final class AddKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Elements below which a call stays on the calling thread. */
    static final long MIN_PARALLEL = 64 * 1024;

    /**
     * Calls that take the twin; every later call takes the vector blocks
     * ({@link VectorWarmth#firstRuns}): the first 8 calls of a 6-layer encoder (two residual adds
     * per layer).
     */
    static final int TWIN_RUNS = 96;

    private static final VectorWarmth WARMTH = VectorWarmth.firstRuns(TWIN_RUNS);

    private static final BinaryBlocks DRIVER = new BinaryBlocks(new VectorBlock(), MIN_PARALLEL);

    /** The machine-code add, or {@code null} where the Java forms run. */
    private static final AddKernels NATIVE = AddKernels.loadIfSupported();

    private static final KernelParams PARAMS = new KernelParams(AddKernels.PARAMS);

    private AddKernel() {}

    /** Whether the machine-code add runs here (for tests). */
    static boolean machineCode() {
        return NATIVE != null;
    }

    /**
     * {@code y[i] = a[i] + b[i]} for {@code count} floats from offset 0; {@code par} may be null.
     * On one thread in machine code where this CPU runs it ({@link AddKernels}; a float add per
     * element, the same bits), compiled from a process's first call on. Otherwise the first {@link #TWIN_RUNS} calls of a process take the scalar twin {@link #scalarBlock}
     * (a lane's {@code add} is one float add, so the bits are the same), sparing them the Vector
     * API's fallback; later calls take the vector blocks ({@link VectorWarmth#firstRuns}). The
     * decision is per call, not per block: a call is one block or hundreds.
     */
    public static void run(MemorySegment a, MemorySegment b, MemorySegment y, long count, Parallelism par) {
        if (NATIVE != null
                && (par == null || par.threads() == 1 || count < MIN_PARALLEL)
                && nativeFits(a, b, y, count)) {
            KernelParams.Block p = PARAMS.get();
            p.values[AddKernels.A] = a.address();
            p.values[AddKernels.B] = b.address();
            p.values[AddKernels.Y] = y.address();
            p.values[AddKernels.BLOCKS] = count / 16;
            p.values[AddKernels.TAIL] = count % 16;
            NATIVE.run(p.publish());
        } else if (!WARMTH.warm() && !WARMTH.sample()) {
            scalarRun(a, b, y, count);
        } else {
            DRIVER.run(a, b, y, count, par);
        }
    }

    /** Whether the machine code can take the operands: native, {@code count} floats in each. */
    private static boolean nativeFits(MemorySegment a, MemorySegment b, MemorySegment y, long count) {
        long bytes = 4 * count;
        return count > 0
                && a.isNative()
                && b.isNative()
                && y.isNative()
                && bytes <= a.byteSize()
                && bytes <= b.byteSize()
                && bytes <= y.byteSize();
    }

    /** {@link #block} as the driver's op: a class, not a method reference, so no lambda spins cold. */
    private static final class VectorBlock implements BinaryBlocks.BlockOp {
        @Override
        public void block(MemorySegment a, MemorySegment b, MemorySegment y, long start, int n) {
            AddKernel.block(a, b, y, start, n);
        }
    }

    /**
     * The twin over all {@code count} elements on the calling thread, not through the driver: the
     * driver's op call site then only ever sees the vector kernel, whose C2 code stays as it was.
     */
    private static void scalarRun(MemorySegment a, MemorySegment b, MemorySegment y, long count) {
        for (long start = 0; start < count; start += BinaryBlocks.BLOCK) {
            scalarBlock(a, b, y, start, (int) Math.min(BinaryBlocks.BLOCK, count - start));
        }
    }

    /** Elements {@code [start, start + n)} on float vectors and a scalar tail ({@link BinaryBlocks.BlockOp}). */
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

    /**
     * {@link #block}'s scalar twin for a cold JVM: one float add per element on array chunks
     * ({@link TwinChunks}), the same bits.
     */
    static void scalarBlock(MemorySegment a, MemorySegment b, MemorySegment y, long start, int n) {
        float[][] rows = TwinChunks.rows(2);
        float[] ra = rows[0];
        float[] rb = rows[1];
        for (int c = 0; c < n; c += TwinChunks.CHUNK) {
            int m = Math.min(TwinChunks.CHUNK, n - c);
            long at = 4L * (start + c);
            MemorySegment.copy(a, F32, at, ra, 0, m);
            MemorySegment.copy(b, F32, at, rb, 0, m);
            for (int j = 0; j < m; j++) {
                ra[j] += rb[j];
            }
            MemorySegment.copy(ra, 0, y, F32, at, m);
        }
    }
}
