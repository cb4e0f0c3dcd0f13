package fsc.runtime.kernels;

/**
 * Per-thread heap rows for kernels that copy a run of a segment in, compute on it with {@code
 * fromArray}/{@code intoArray}, and copy it out. Why arrays and not the segment: every vector load
 * or store on a {@code MemorySegment} carries a bounds check, the segment's liveness check
 * ({@code MemorySessionImpl.checkValidStateRaw}: owner thread and state) and a check of its class.
 * C2 hoists them out of a loop only by speculation on the profile of JDK methods that every
 * segment user in the process shares (native, mapped and heap segments); once such a speculation
 * fails, the method is recompiled with all of them inside the loop (about 25 instructions around
 * each vector op, seen in the disassembly), and which shape a JVM ends up with depends on what
 * ran before. An array access has one range check, which C2 removes from counted loops without
 * speculation. A bulk copy in and out costs one check per run (docs/PERFORMANCE-FP32.md).
 */
final class RowScratch {
    private static final ThreadLocal<RowScratch> LOCAL = new ThreadLocal<>() {
        @Override
        protected RowScratch initialValue() {
            return new RowScratch();
        }
    };

    private float[] a = new float[1024];
    private float[] b = new float[1024];
    private float[] c = new float[1024];
    private byte[] bytes = new byte[1024];
    private float[] lanes = new float[16];

    private RowScratch() {}

    /** This thread's first float row, at least {@code n} long (grown once, then reused). */
    static float[] floats(int n) {
        RowScratch s = LOCAL.get();
        if (s.a.length < n) {
            s.a = new float[n];
        }
        return s.a;
    }

    /** This thread's second float row (distinct from {@link #floats}), at least {@code n} long. */
    static float[] floats2(int n) {
        RowScratch s = LOCAL.get();
        if (s.b.length < n) {
            s.b = new float[n];
        }
        return s.b;
    }

    /** This thread's third float row (distinct from the other two), at least {@code n} long. */
    static float[] floats3(int n) {
        RowScratch s = LOCAL.get();
        if (s.c.length < n) {
            s.c = new float[n];
        }
        return s.c;
    }

    /** This thread's lane accumulators of a scalar twin ({@link VectorWarmth}), at least {@code n} long. */
    static float[] lanes(int n) {
        RowScratch s = LOCAL.get();
        if (s.lanes.length < n) {
            s.lanes = new float[n];
        }
        return s.lanes;
    }

    /** This thread's byte row, at least {@code n} long. */
    static byte[] bytes(int n) {
        RowScratch s = LOCAL.get();
        if (s.bytes.length < n) {
            s.bytes = new byte[n];
        }
        return s.bytes;
    }
}
