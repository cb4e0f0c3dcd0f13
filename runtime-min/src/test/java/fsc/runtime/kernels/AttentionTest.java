package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Both attention paths (row-at-a-time and blocked GEMM) against a naive double-precision reference. */
class AttentionTest {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    record Case(
            int b,
            int hq,
            int hkv,
            int sq,
            int skv,
            int d,
            int dv,
            long causal,
            float softcap,
            int maskKind,
            int layout) {
        Case(int b, int hq, int hkv, int sq, int skv, int d, int dv, long causal, float softcap, int maskKind) {
            this(b, hq, hkv, sq, skv, d, dv, causal, softcap, maskKind, 0);
        }
    }

    static final int ALL_SEQ_MAJOR =
            Attention.Q_SEQ_MAJOR | Attention.K_SEQ_MAJOR | Attention.V_SEQ_MAJOR | Attention.OUT_SEQ_MAJOR;

    @Test
    void blockedAndRowPathsMatchTheReference() {
        Case[] cases = {
            new Case(2, 4, 2, 40, 40, 32, 24, Attention.NOT_CAUSAL, 0f, 1), // additive [B,1,1,S] mask, GQA
            new Case(1, 3, 3, 37, 37, 17, 17, 0L, 0f, 0), // causal upper-left, odd sizes
            new Case(1, 2, 1, 33, 45, 16, 8, 12L, 0f, 2), // lower-right causal, bool mask with a dead row
            new Case(2, 2, 2, 36, 36, 8, 8, Attention.NOT_CAUSAL, 5f, 0), // softcap
            new Case(1, 2, 2, 64, 64, 16, 16, Attention.NOT_CAUSAL, 0f, 0), // no mask, whole vectors only
            new Case(3, 3, 1, 9, 9, 8, 8, Attention.NOT_CAUSAL, 0f, 1), // row path, 9 heads over 2 threads
            // MiniLM's shape (fewer heads): sequence-major operands as the projections leave them
            new Case(2, 3, 3, 128, 128, 32, 32, Attention.NOT_CAUSAL, 0f, 1, ALL_SEQ_MAJOR),
            // odd rows and keys (tails of the 8-row block and of the two-vector key tile), d > 32
            new Case(1, 4, 4, 45, 77, 40, 33, Attention.NOT_CAUSAL, 0f, 1, Attention.Q_SEQ_MAJOR),
            new Case(1, 4, 2, 77, 45, 20, 64, 0L, 0f, 3, Attention.K_SEQ_MAJOR | Attention.OUT_SEQ_MAJOR),
            new Case(2, 2, 2, 50, 61, 16, 16, 11L, 0f, 1, Attention.V_SEQ_MAJOR), // lower-right, mask
            new Case(1, 2, 2, 61, 50, 16, 16, -11L, 0f, 0, ALL_SEQ_MAJOR), // rows that see no key
            new Case(1, 3, 1, 33, 40, 8, 8, Attention.NOT_CAUSAL, 3f, 2, ALL_SEQ_MAJOR), // cap + bool, GQA
            new Case(2, 2, 2, 9, 9, 8, 8, 0L, 0f, 3, ALL_SEQ_MAJOR), // row path, seq-major, per-row mask
        };
        for (Case c : cases) {
            check(c);
        }
    }

    private static void check(Case c) {
        Random rnd = new Random(c.hashCode());
        // Shared, so the team's workers may read the segments.
        try (Arena arena = Arena.ofShared();
                Parallelism two = Parallelism.of(2)) {
            MemorySegment q = random(arena, (long) c.b * c.hq * c.sq * c.d, rnd);
            MemorySegment k = random(arena, (long) c.b * c.hkv * c.skv * c.d, rnd);
            MemorySegment v = random(arena, (long) c.b * c.hkv * c.skv * c.dv, rnd);
            MemorySegment mask = MemorySegment.NULL;
            long mb = 0, mh = 0, mi = 0, mj = 0;
            boolean bool = c.maskKind == 2;
            if (c.maskKind == 1) { // f32 [B,1,1,S]: additive, some keys blocked
                mask = arena.allocate((long) c.b * c.skv * 4);
                for (int i = 0; i < c.b * c.skv; i++) {
                    mask.setAtIndex(F32, i, i % 7 == 3 ? -10000f : 0f);
                }
                mb = c.skv;
                mj = 1;
            } else if (c.maskKind == 3) { // f32 [Sq,Skv]: a different additive row per query
                mask = arena.allocate((long) c.sq * c.skv * 4);
                for (int i = 0; i < c.sq * c.skv; i++) {
                    mask.setAtIndex(F32, i, i % 5 == 1 ? -10000f : (i % 3) * 0.25f);
                }
                mi = c.skv;
                mj = 1;
            } else if (bool) { // bool [Sq,Skv]: row 0 sees nothing
                mask = arena.allocate((long) c.sq * c.skv);
                for (int i = 0; i < c.sq; i++) {
                    for (int j = 0; j < c.skv; j++) {
                        mask.set(ValueLayout.JAVA_BYTE, (long) i * c.skv + j, (byte)
                                (i != 0 && (i + j) % 5 != 0 ? 1 : 0));
                    }
                }
                mi = c.skv;
                mj = 1;
            }
            long outElems = (long) c.b * c.hq * c.sq * c.dv;
            MemorySegment rows = arena.allocate(outElems * 4);
            MemorySegment blocked = arena.allocate(outElems * 4);
            Attention.attendRows(
                    q,
                    k,
                    v,
                    mask,
                    bool,
                    mb,
                    mh,
                    mi,
                    mj,
                    rows,
                    c.b,
                    c.hq,
                    c.hkv,
                    c.sq,
                    c.skv,
                    c.d,
                    c.dv,
                    0.3f,
                    c.softcap,
                    c.causal,
                    c.layout,
                    new float[c.skv]);
            Attention.attendBlocked(
                    q, k, v, mask, bool, mb, mh, mi, mj, blocked, c.b, c.hq, c.hkv, c.sq, c.skv, c.d, c.dv, 0.3f,
                    c.softcap, c.causal, c.layout);
            // Heads split over two threads: the same per-head code, so the same bits as one thread.
            MemorySegment split = arena.allocate(outElems * 4);
            Attention.attend(
                    q,
                    k,
                    v,
                    mask,
                    bool,
                    mb,
                    mh,
                    mi,
                    mj,
                    split,
                    c.b,
                    c.hq,
                    c.hkv,
                    c.sq,
                    c.skv,
                    c.d,
                    c.dv,
                    0.3f,
                    c.softcap,
                    c.causal,
                    c.layout,
                    new float[c.skv],
                    two);
            MemorySegment serial =
                    Attention.blockedPath(q, k, v, mask, bool, mi, mj, split, c.sq, c.skv, c.softcap, c.causal)
                            ? blocked
                            : rows;
            assertEquals(-1L, serial.mismatch(split), () -> c + ": heads split over threads differ");
            double[] ref = reference(c, q, k, v, mask, bool, mb, mi, mj);
            for (int i = 0; i < outElems; i++) {
                double r = ref[i];
                float a = rows.getAtIndex(F32, i);
                float bl = blocked.getAtIndex(F32, i);
                int at = i;
                assertTrue(
                        Math.abs(a - r) <= 1e-5 + 1e-4 * Math.abs(r), () -> c + " rows[" + at + "] " + a + " vs " + r);
                assertTrue(
                        Math.abs(bl - r) <= 1e-5 + 1e-4 * Math.abs(r),
                        () -> c + " blocked[" + at + "] " + bl + " vs " + r);
            }
        }
    }

    /**
     * The softmax exp of the blocked path: relative error within 4e-7 of Math.exp on [-87, 0]
     * (finer than the scores' own rounding), every vector lane equal to the scalar twin the tail
     * uses, and exactly 0 for a masked score far below the row max.
     */
    @Test
    void softmaxExpIsAccurateAndLanesMatchTheScalarTwin() {
        int n = 4099; // a scalar tail after the vector loop
        float[] a = new float[n];
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -87f * i / (n - 1) + (i % 3) * 1e-3f;
            a[i] = x[i] + 5f; // shifted by the row max below
        }
        float sum = AttentionMicroKernels.expShiftedSum(a, 0, n, 5f);
        double exact = 0;
        for (int i = 0; i < n; i++) {
            float xi = (x[i] + 5f) - 5f; // the input each lane saw, after the shift
            double want = Math.exp(xi);
            assertTrue(Math.abs(a[i] - want) <= 4e-7 * want + 1e-38, "exp(" + xi + ") = " + a[i] + " vs " + want);
            assertEquals(
                    Float.floatToRawIntBits(AttentionMicroKernels.exp((x[i] + 5f) - 5f)),
                    Float.floatToRawIntBits(a[i]),
                    "lane " + i + " vs the scalar twin");
            exact += want;
        }
        assertEquals(exact, sum, 1e-5 * exact);
        float[] masked = {0f, -10000f};
        AttentionMicroKernels.expShiftedSum(masked, 0, 2, 0f);
        assertEquals(1f, masked[0]);
        assertEquals(0f, masked[1], "a masked score");
    }

    private static double[] reference(
            Case c,
            MemorySegment q,
            MemorySegment k,
            MemorySegment v,
            MemorySegment mask,
            boolean bool,
            long mb,
            long mi,
            long mj) {
        double[] out = new double[c.b * c.hq * c.sq * c.dv];
        for (int bi = 0; bi < c.b; bi++) {
            for (int h = 0; h < c.hq; h++) {
                int kvh = h / (c.hq / c.hkv);
                for (int i = 0; i < c.sq; i++) {
                    double[] s = new double[c.skv];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < c.skv; j++) {
                        double dot = 0;
                        for (int e = 0; e < c.d; e++) {
                            dot += (double) q.getAtIndex(
                                            F32, at(c, Attention.Q_SEQ_MAJOR, bi, h, i, c.hq, c.sq, c.d) + e)
                                    * k.getAtIndex(
                                            F32, at(c, Attention.K_SEQ_MAJOR, bi, kvh, j, c.hkv, c.skv, c.d) + e);
                        }
                        double x = dot * 0.3f;
                        if (c.softcap > 0) {
                            x = c.softcap * Math.tanh(x / c.softcap);
                        }
                        if (mask.byteSize() > 0) {
                            long m = bi * mb + i * mi + j * mj;
                            if (bool) {
                                x = mask.get(ValueLayout.JAVA_BYTE, m) != 0 ? x : Double.NEGATIVE_INFINITY;
                            } else {
                                x += mask.getAtIndex(F32, m);
                            }
                        }
                        if (j - i > c.causal) {
                            x = Double.NEGATIVE_INFINITY;
                        }
                        s[j] = x;
                        max = Math.max(max, x);
                    }
                    if (max == Double.NEGATIVE_INFINITY) {
                        continue; // zeros
                    }
                    double sum = 0;
                    for (int j = 0; j < c.skv; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int e = 0; e < c.dv; e++) {
                        double acc = 0;
                        for (int j = 0; j < c.skv; j++) {
                            acc += s[j]
                                    / sum
                                    * v.getAtIndex(
                                            F32, at(c, Attention.V_SEQ_MAJOR, bi, kvh, j, c.hkv, c.skv, c.dv) + e);
                        }
                        out[(int) at(c, Attention.OUT_SEQ_MAJOR, bi, h, i, c.hq, c.sq, c.dv) + e] = acc;
                    }
                }
            }
        }
        return out;
    }

    /** Element index of row {@code i} of head {@code h}, in the layout {@code c} gives that operand. */
    private static long at(Case c, int bit, int bi, int h, int i, int heads, int s, int w) {
        return Attention.rowOffset((c.layout & bit) != 0, bi, h, i, heads, s, w) / Float.BYTES;
    }

    private static MemorySegment random(Arena arena, long n, Random rnd) {
        MemorySegment s = arena.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(F32, i, rnd.nextFloat() * 2 - 1);
        }
        return s;
    }
}
