package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sgemm against SgemmReference over odd sizes, transposes, offsets, accumulate and 1/2 threads. */
class SgemmTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // m, n, k: tails in every dimension (m % 8 from 0 to 7: full, padded and single-row tiles), k across
    // the KC=512 block edge (520, 1536) and the old 256 one, m across MC=256.
    private static final int[][] SIZES = {
        {1, 1, 1},
        {3, 17, 63},
        {17, 3, 65},
        {63, 65, 129},
        {65, 63, 17},
        {129, 384, 3},
        {6, 384, 384},
        {17, 1536, 3},
        {5, 129, 1536},
        {13, 65, 384},
        {384, 17, 129},
        {7, 33, 300},
        {150, 40, 520},
        {1, 1536, 384},
        {12, 384, 1536},
        {300, 17, 64},
        {64, 64, 32},
        {129, 129, 257}
    };

    private static Parallelism two;

    @BeforeAll
    static void start() {
        two = Parallelism.of(2);
    }

    @AfterAll
    static void stop() {
        two.close();
    }

    @Test
    void unpackedMatchesReferenceForAllTransposes() {
        Random rnd = new Random(1);
        for (int[] s : SIZES) {
            for (int flags = 0; flags < 8; flags++) {
                boolean transA = (flags & 1) != 0;
                boolean transB = (flags & 2) != 0;
                boolean acc = (flags & 4) != 0;
                float alpha = flags % 3 == 0 ? 1f : 0.375f;
                Parallelism par = flags % 2 == 0 ? null : two;
                checkUnpacked(rnd, s[0], s[1], s[2], transA, transB, acc, alpha, par);
            }
        }
    }

    @Test
    void packedMatchesReferenceFromBothSourceLayouts() {
        Random rnd = new Random(2);
        for (int[] s : SIZES) {
            for (int flags = 0; flags < 8; flags++) {
                boolean srcTransposed = (flags & 1) != 0;
                boolean acc = (flags & 2) != 0;
                Parallelism par = (flags & 4) != 0 ? two : Parallelism.of(1);
                checkPacked(rnd, s[0], s[1], s[2], srcTransposed, acc, par);
            }
        }
    }

    /**
     * Once compiled, a GEMM allocates nothing: no boxed vectors (which is what happens when a vector
     * crosses a call C2 does not inline, at a tenth of the speed) and no per-call objects. Rounds
     * repeat until C2 has compiled the kernels; the interpreter boxes every vector.
     */
    @Test
    void steadyStateAllocatesNothing() {
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int m = 13, n = 40, k = 70; // 6-row tiles, a single row, a partial panel
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(4);
            MemorySegment a = filled(arena, m * k, rnd);
            MemorySegment b = filled(arena, k * n, rnd);
            MemorySegment c = arena.allocate((long) m * n * 4);
            MemorySegment packed = arena.allocate(Sgemm.packedBytes(k, n));
            Sgemm.packB(b, 0, k, n, false, packed, 0);
            GemmEpilogue gelu = GemmEpilogue.of(b, 0, GemmEpilogue.Activation.GELU);
            long perCall = Long.MAX_VALUE;
            for (int round = 0; round < 60 && perCall > 0; round++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 500; i++) {
                    Sgemm.gemmPacked(m, n, k, a, 0, k, packed, 0, c, 0, n, true, null);
                    Sgemm.gemm(m, n, k, a, 0, k, false, b, 0, n, false, c, 0, n, 0.5f, true, null);
                    Sgemm.gemm(m, n, k, a, 0, k, false, packed, 0, k, true, c, 0, n, 1f, false, null);
                    Sgemm.gemmPacked(m, n, k, a, 0, k, packed, 0, c, 0, n, false, gelu, null);
                }
                perCall = (mx.getCurrentThreadAllocatedBytes() - before) / 2000;
            }
            assertEquals(0, perCall, "bytes allocated per GEMM call after warm-up");
        }
    }

    @Test
    void epilogueAddsBiasAndAppliesTheActivation() {
        Random rnd = new Random(8);
        int[][] sizes = {{7, 40, 300}, {13, 64, 32}, {1, 17, 5}, {150, 96, 520}, {4, 3, 0}};
        for (int[] s : sizes) {
            for (GemmEpilogue.Activation act : GemmEpilogue.Activation.values()) {
                for (Parallelism par : new Parallelism[] {null, two}) {
                    checkEpilogue(rnd, s[0], s[1], s[2], act, false, par);
                }
            }
            checkEpilogue(rnd, s[0], s[1], s[2], GemmEpilogue.Activation.NONE, true, two);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4096);
            GemmEpilogue gelu = GemmEpilogue.of(null, 0, GemmEpilogue.Activation.GELU);
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Sgemm.gemmPacked(2, 2, 2, x, 0, 2, x, 0, x, 0, 2, true, gelu, null));
        }
    }

    private static void checkEpilogue(
            Random rnd, int m, int n, int k, GemmEpilogue.Activation act, boolean acc, Parallelism par) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = filled(arena, m * k + 1, rnd);
            MemorySegment b = filled(arena, k * n + 1, rnd);
            MemorySegment bias = filled(arena, n + 3, rnd);
            MemorySegment c = filled(arena, m * n, rnd);
            MemorySegment expected = arena.allocate(c.byteSize());
            expected.copyFrom(c);
            MemorySegment packed = arena.allocate(Sgemm.packedBytes(k, n) + 4);
            Sgemm.packB(b, 0, k, n, false, packed, 0);
            GemmEpilogue e = GemmEpilogue.of(bias, 12, act);
            Sgemm.gemmPacked(m, n, k, a, 0, Math.max(k, 1), packed, 0, c, 0, n, acc, e, par);
            // Reference: C_old (when accumulating) + act(A·B + bias), in double.
            MemorySegment product = arena.allocate(c.byteSize());
            SgemmReference.gemm(m, n, k, a, 0, k, false, b, 0, n, false, product, 0, n, 1f, false);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    long at = ((long) i * n + j) * 4;
                    double v = product.get(F32, at) + bias.get(F32, 12 + j * 4L);
                    v = switch (act) {
                        case NONE -> v;
                        case RELU -> Math.max(v, 0);
                        case GELU -> 0.5 * v * (1 + FloatMathTest.erfReference(v / Math.sqrt(2)));
                        case GELU_TANH ->
                            0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                    };
                    expected.set(F32, at, (float) (v + (acc ? expected.get(F32, at) : 0)));
                }
            }
            compare(c, expected, m, n, k + 4, "epilogue " + act + " m=" + m + " n=" + n + " k=" + k + " acc=" + acc);
        }
    }

    @Test
    void zeroDepthClearsOrKeepsC() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = filled(arena, 3 * 5, new Random(3));
            MemorySegment kept = arena.allocate(c.byteSize());
            kept.copyFrom(c);
            MemorySegment empty = arena.allocate(4);
            Sgemm.gemm(3, 5, 0, empty, 0, 1, false, empty, 0, 5, false, c, 0, 5, 1f, true, null);
            assertEquals(-1L, c.mismatch(kept), "accumulate with k=0 must leave C alone");
            Sgemm.gemm(3, 5, 0, empty, 0, 1, false, empty, 0, 5, false, c, 0, 5, 1f, false, null);
            for (int i = 0; i < 15; i++) {
                assertEquals(0f, c.getAtIndex(F32, i));
            }
        }
    }

    @Test
    void rejectsLeadingDimensionShorterThanRow() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4096);
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Sgemm.gemm(4, 4, 8, x, 0, 7, false, x, 0, 4, false, x, 0, 4, 1f, false, null));
        }
    }

    private static void checkUnpacked(
            Random rnd,
            int m,
            int n,
            int k,
            boolean transA,
            boolean transB,
            boolean acc,
            float alpha,
            Parallelism par) {
        // Leading dimensions with padding and non-zero, unaligned offsets catch stride and offset mixups.
        long lda = (transA ? m : k) + 3;
        long ldb = (transB ? k : n) + 1;
        long ldc = n + 5;
        long aOff = 4 * 7, bOff = 4 * 3, cOff = 4 * 11;
        // Shared: with two threads the worker reads the operands too.
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = filled(arena, (int) (aOff / 4 + (transA ? k : m) * lda), rnd);
            MemorySegment b = filled(arena, (int) (bOff / 4 + (transB ? n : k) * ldb), rnd);
            MemorySegment c = filled(arena, (int) (cOff / 4 + m * ldc), rnd);
            MemorySegment expected = arena.allocate(c.byteSize());
            expected.copyFrom(c);
            Sgemm.gemm(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, alpha, acc, par);
            SgemmReference.gemm(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, expected, cOff, ldc, alpha, acc);
            compare(
                    c,
                    expected,
                    m,
                    n,
                    k,
                    "gemm m=" + m + " n=" + n + " k=" + k + " transA=" + transA
                            + " transB=" + transB + " acc=" + acc + " alpha=" + alpha + " threads="
                            + (par == null ? 1 : par.threads()));
        }
    }

    private static void checkPacked(
            Random rnd, int m, int n, int k, boolean srcTransposed, boolean acc, Parallelism par) {
        long lda = k + 2;
        long ldc = n + 1;
        long aOff = 4 * 5, bOff = 4 * 9, cOff = 4 * 2, pOff = 64 * 3;
        // Shared: with two threads the worker reads the operands too.
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = filled(arena, (int) (aOff / 4 + m * lda), rnd);
            MemorySegment b = filled(arena, (int) (bOff / 4 + (long) n * k), rnd);
            MemorySegment c = filled(arena, (int) (cOff / 4 + m * ldc), rnd);
            MemorySegment packed = arena.allocate(pOff + Sgemm.packedBytes(k, n));
            MemorySegment expected = arena.allocate(c.byteSize());
            expected.copyFrom(c);
            Sgemm.packB(b, bOff, k, n, srcTransposed, packed, pOff);
            Sgemm.gemmPacked(m, n, k, a, aOff, lda, packed, pOff, c, cOff, ldc, acc, par);
            long ldb = srcTransposed ? k : n;
            SgemmReference.gemm(
                    m, n, k, a, aOff, lda, false, b, bOff, ldb, srcTransposed, expected, cOff, ldc, 1f, acc);
            compare(
                    c,
                    expected,
                    m,
                    n,
                    k,
                    "gemmPacked m=" + m + " n=" + n + " k=" + k + " srcTransposed=" + srcTransposed + " acc=" + acc
                            + " threads=" + par.threads());
        }
    }

    /** Elementwise within float rounding of a k-term dot product of values in [-1, 1]. */
    private static void compare(MemorySegment actual, MemorySegment expected, int m, int n, int k, String what) {
        double tol = 1e-6 + 2e-6 * k;
        long count = actual.byteSize() / 4;
        for (long i = 0; i < count; i++) {
            float x = actual.getAtIndex(F32, i);
            float y = expected.getAtIndex(F32, i);
            if (!(Math.abs(x - y) <= tol)) {
                fail(what + ": element " + i + " is " + x + ", expected " + y);
            }
        }
    }

    private static MemorySegment filled(Arena arena, int floats, Random rnd) {
        MemorySegment s = arena.allocate((long) floats * 4, 64);
        for (int i = 0; i < floats; i++) {
            s.setAtIndex(F32, i, rnd.nextFloat() * 2 - 1);
        }
        return s;
    }
}
