package fsc.runtime.kernels;

/**
 * Per-thread float rows for the scalar twins of element-wise vector loops ({@link VectorWarmth}):
 * generated {@code *_cold} methods and {@link AddKernel#scalarBlock}. A twin copies {@link #CHUNK}
 * elements of each operand in with one bulk copy, computes on the arrays and copies the result out.
 * Why not element by element on the segment: the twin runs in the interpreter and C1, where each
 * {@code MemorySegment.get} goes through a VarHandle (dozens of calls, about as slow as the vector
 * fallback it replaces), while a bulk copy pays that path once per chunk and an array element
 * costs a few bytecodes.
 */
public final class TwinChunks {
    /** Elements per chunk: small enough for L1 with several operands, large enough to amortise a copy. */
    public static final int CHUNK = 256;

    /** A subclass, not {@code withInitial}: a cold JVM links a lambda's call site in about a millisecond. */
    private static final ThreadLocal<float[][]> LOCAL = new ThreadLocal<>() {
        @Override
        protected float[][] initialValue() {
            return new float[4][CHUNK];
        }
    };

    private TwinChunks() {}

    /** This thread's rows, at least {@code count} of {@link #CHUNK} floats each (grown once, then reused). */
    public static float[][] rows(int count) {
        float[][] r = LOCAL.get();
        if (r.length < count) {
            r = new float[count][CHUNK];
            LOCAL.set(r);
        }
        return r;
    }
}
