package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import fsc.runtime.x86.AddKernels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The f16 element-wise ops that every node of their kind calls instead of a scalar loop of its own:
 * a same-shape {@link #add} (an f16 model's residual connection) and {@link #sigmoid}, each computing
 * what the generated loop computed per element, so the same bits. Why: that loop was one per node,
 * entered once per call, and a big model's JIT queue reached it late (ISNet fp16's 11 adds: 500 ms of
 * a 5 s call at 9 ns an element; its 6 sigmoids 165 ms at 26 ns); these are shared, so compiled once
 * and early. The add runs sixteen halves a step in machine code where the CPU has AVX-512 ({@link
 * AddKernels#runHalf}). Blocks of {@value #BLOCK} elements are split over the team.
 */
public final class HalfElementwise implements Parallelism.IntRangeBody {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Elements per block: a multiple of the sixteen-half vector, 384 KB of operands and result. */
    static final int BLOCK = 1 << 16;

    private static final AddKernels NATIVE = AddKernels.loadIfSupported();
    private static final KernelParams PARAMS = new KernelParams(AddKernels.PARAMS);
    /** The calling thread's parallel body: a call's operands are its fields, so a split allocates nothing. */
    private static final ThreadLocal<HalfElementwise> BODY = ThreadLocal.withInitial(HalfElementwise::new);

    // The running call.
    private boolean sigmoid;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment y;
    private long count;

    private HalfElementwise() {}

    /** {@code y[i] = a[i] + b[i]} for {@code count} halves from offset 0; {@code par} may be null. */
    public static void add(MemorySegment a, MemorySegment b, MemorySegment y, long count, Parallelism par) {
        long bytes = 2 * count;
        if (bytes > a.byteSize() || bytes > b.byteSize() || bytes > y.byteSize()) {
            throw new IndexOutOfBoundsException("an add of " + count + " halves over segments of " + a.byteSize() + ", "
                    + b.byteSize() + " and " + y.byteSize() + " bytes");
        }
        split(false, a, b, y, count, par);
    }

    /**
     * {@code y[i] = floatToFloat16(1f / (1f + (float) exp(-x[i])))} for {@code count} halves from
     * offset 0, {@code x[i]} widened exactly; {@code par} may be null.
     */
    public static void sigmoid(MemorySegment x, MemorySegment y, long count, Parallelism par) {
        long bytes = 2 * count;
        if (bytes > x.byteSize() || bytes > y.byteSize()) {
            throw new IndexOutOfBoundsException("a sigmoid of " + count + " halves over segments of " + x.byteSize()
                    + " and " + y.byteSize() + " bytes");
        }
        split(true, x, null, y, count, par);
    }

    private static void split(
            boolean sigmoid, MemorySegment a, MemorySegment b, MemorySegment y, long count, Parallelism par) {
        long blocks = (count + BLOCK - 1) / BLOCK;
        if (par == null || par.threads() == 1 || blocks < 2) {
            range(sigmoid, a, b, y, 0, count);
            return;
        }
        HalfElementwise body = BODY.get();
        body.sigmoid = sigmoid;
        body.a = a;
        body.b = b;
        body.y = y;
        body.count = count;
        try {
            par.forRange(0, Math.toIntExact(blocks), 1, body);
        } finally {
            body.a = null;
            body.b = null;
            body.y = null;
        }
    }

    @Override
    public void run(int from, int to) {
        range(sigmoid, a, b, y, (long) from * BLOCK, Math.min(count, (long) to * BLOCK));
    }

    /** Elements {@code [from, to)} of the add, or of the sigmoid of {@code a}. */
    private static void range(boolean sigmoid, MemorySegment a, MemorySegment b, MemorySegment y, long from, long to) {
        if (sigmoid) {
            for (long i = from; i < to; i++) {
                float v = Float.float16ToFloat(a.get(F16, 2 * i));
                y.set(F16, 2 * i, Float.floatToFloat16(1f / (1f + (float) Math.exp(-v))));
            }
            return;
        }
        long vectors = 0;
        if (NATIVE != null && a.isNative() && b.isNative() && y.isNative()) {
            vectors = (to - from) / 16;
            KernelParams.Block p = PARAMS.get();
            p.values[AddKernels.A] = a.address() + 2 * from;
            p.values[AddKernels.B] = b.address() + 2 * from;
            p.values[AddKernels.Y] = y.address() + 2 * from;
            p.values[AddKernels.BLOCKS] = vectors;
            p.values[AddKernels.TAIL] = 0;
            NATIVE.runHalf(p.publish());
        }
        scalarAdd(a, b, y, from + 16 * vectors, to);
    }

    /** Elements {@code [from, to)} one by one, one float add each. */
    private static void scalarAdd(MemorySegment a, MemorySegment b, MemorySegment y, long from, long to) {
        for (long i = from; i < to; i++) {
            y.set(
                    F16,
                    2 * i,
                    Float.floatToFloat16(
                            Float.float16ToFloat(a.get(F16, 2 * i)) + Float.float16ToFloat(b.get(F16, 2 * i))));
        }
    }
}
