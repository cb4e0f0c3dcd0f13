package fsc.runtime.kernels;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * In-process A/B of {@link Int8Gemm}'s shared-block loop nest with other tile shapes and k blocks,
 * on MiniLM's three GEMM shapes (a micro benchmark main, not a test): variants alternate in rounds
 * and the table gives each one's median CPU time per GEMM relative to the previous build's nest
 * (6-row tiles over row-major A, 512-k blocks), so load
 * from other jobs hits all of them alike. Each variant's exact int32 sums are checked against the
 * first one's. Run with the test classpath: {@code java --add-modules jdk.incubator.vector -cp
 * runtime-min/target/classes:runtime-min/target/test-classes fsc.runtime.kernels.Int8TileBench [rounds]}.
 */
public final class Int8TileBench {
    private static final VectorSpecies<Float> F = Int8Gemm.FS;
    private static final VectorSpecies<Integer> I = Int8Gemm.IS;
    private static final int VL = Int8Gemm.VL;
    private static final int NR = Int8Gemm.NR;

    private Int8TileBench() {}

    /** One loop nest: rows per tile and k per widened block. */
    record Variant(String name, int mr, int kc, boolean packed) {
        Variant(String name, int mr, int kc) {
            this(name, mr, kc, false);
        }
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        Variant[] vs = {
            new Variant("6x2v kc512 (before)", 6, 512),
            new Variant("6x2v kc256", 6, 256),
            new Variant("6x2v kc128", 6, 128),
            new Variant("8x2v kc256", 8, 256),
            new Variant("8x2v kc512", 8, 512),
            new Variant("6x2v packed-A kc256", 6, 256, true),
            new Variant("8x2v packed-A kc256 (shipped)", 8, 256, true),
            new Variant("8x2v packed-A kc128", 8, 128, true),
        };
        for (int[] s : new int[][] {{384, 384}, {1536, 384}, {384, 1536}}) {
            run(128, s[0], s[1], vs, rounds);
        }
    }

    private static void run(int m, int n, int k, Variant[] vs, int rounds) {
        Random r = new Random(3);
        int rows = m + 8; // room for the last tile of any height
        int lda = k;
        float[] af = new float[rows * lda];
        for (int i = 0; i < m * lda; i++) {
            af[i] = r.nextInt(256) - 128;
        }
        float[] ap6 = pack(af, m, k, lda, 6);
        float[] ap8 = pack(af, m, k, lda, 8);
        float[] bw = new float[512 * NR];
        byte[] braw = new byte[k * ((n + NR - 1) / NR) * NR];
        r.nextBytes(braw);
        java.lang.foreign.MemorySegment b = java.lang.foreign.MemorySegment.ofArray(braw);
        int[][] acc = new int[vs.length][rows * ((n + NR - 1) / NR) * NR];
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int v = 0; v < vs.length; v++) {
            for (int w = 0; w < 30; w++) {
                gemm(vs[v], m, n, k, vs[v].packed ? (vs[v].mr == 6 ? ap6 : ap8) : af, lda, b, bw, acc[v]);
            }
            if (!Arrays.equals(rowMajor(vs[v], m, n, acc[v]), rowMajor(vs[0], m, n, acc[0]))) {
                throw new IllegalStateException(vs[v].name + " computes other sums");
            }
        }
        long[][] t = new long[vs.length][rounds];
        int reps = Math.max(3, (int) (4e8 / (2.0 * m * n * k)));
        for (int round = 0; round < rounds; round++) {
            for (int v = 0; v < vs.length; v++) {
                long c0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < reps; i++) {
                    gemm(vs[v], m, n, k, vs[v].packed ? (vs[v].mr == 6 ? ap6 : ap8) : af, lda, b, bw, acc[v]);
                }
                t[v][round] = (mx.getCurrentThreadCpuTime() - c0) / reps;
            }
        }
        System.out.printf("[%d,%d]x[%d,%d], %d rounds of %d calls, median CPU per call%n", m, k, k, n, rounds, reps);
        double base = median(t[0]);
        for (int v = 0; v < vs.length; v++) {
            double med = median(t[v]);
            System.out.printf(
                    "  %-22s %8.1f us  %6.1f GOP/s  %.3f of before%n",
                    vs[v].name, med / 1e3, 2.0 * m * n * k / med, med / base);
        }
    }

    /** Row-major A as tiles of {@code mr} rows, the {@code mr} values of one k adjacent. */
    private static float[] pack(float[] af, int m, int k, int lda, int mr) {
        int tiles = (m + mr - 1) / mr;
        float[] ap = new float[tiles * lda * mr];
        for (int i = 0; i < m; i++) {
            for (int kk = 0; kk < k; kk++) {
                ap[((i / mr) * lda + kk) * mr + i % mr] = af[i * lda + kk];
            }
        }
        return ap;
    }

    /** The sums as a row-major {@code [m, n]} matrix, from the variant's tile order. */
    private static int[] rowMajor(Variant v, int m, int n, int[] acc) {
        int tiles = (m + v.mr - 1) / v.mr;
        int[] c = new int[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                c[i * n + j] = acc[((j / NR) * tiles + i / v.mr) * v.mr * NR + (i % v.mr) * NR + j % NR];
            }
        }
        return c;
    }

    private static double median(long[] x) {
        long[] s = x.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** The shared-block nest of {@code Int8Gemm.computeShared} without the epilogue. */
    private static void gemm(
            Variant v,
            int m,
            int n,
            int k,
            float[] af,
            int lda,
            java.lang.foreign.MemorySegment b,
            float[] bw,
            int[] acc) {
        int tiles = (m + v.mr - 1) / v.mr;
        int panels = (n + NR - 1) / NR;
        for (int p = 0; p < panels; p++) {
            long bp = (long) p * k * NR;
            for (int k0 = 0; k0 < k; k0 += v.kc) {
                int kc = Math.min(v.kc, k - k0);
                Int8GemmMicroKernel.widen(b, bp + (long) k0 * NR, kc * NR, bw);
                for (int t = 0; t < tiles; t++) {
                    int i0 = t * v.mr;
                    if (v.packed && v.mr == 6) {
                        kernel6p(kc, af, (t * lda + k0) * 6, bw, acc, (p * tiles + t) * 6 * NR, k0 == 0);
                    } else if (v.packed) {
                        Int8GemmMicroKernel.kernel8p(
                                kc, af, (t * lda + k0) * 8, bw, acc, (p * tiles + t) * 8 * NR, k0 == 0);
                    } else if (v.mr == 6) {
                        kernel6f(kc, af, i0 * lda + k0, lda, bw, acc, (p * tiles + t) * 6 * NR, k0 == 0);
                    } else {
                        kernel8f(kc, af, i0 * lda + k0, lda, bw, acc, (p * tiles + t) * 8 * NR, k0 == 0);
                    }
                }
            }
        }
    }

    static void kernel8f(int kc, float[] af, int ao, int lda, float[] bw, int[] tile, int to, boolean first) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        int a0 = ao,
                a1 = ao + lda,
                a2 = a1 + lda,
                a3 = a2 + lda,
                a4 = a3 + lda,
                a5 = a4 + lda,
                a6 = a5 + lda,
                a7 = a6 + lda;
        int bk = 0;
        for (int kk = 0; kk < kc; kk++, bk += NR) {
            FloatVector b0 = FloatVector.fromArray(F, bw, bk);
            FloatVector b1 = FloatVector.fromArray(F, bw, bk + VL);
            FloatVector x = FloatVector.broadcast(F, af[a0 + kk]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, af[a1 + kk]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, af[a2 + kk]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, af[a3 + kk]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, af[a4 + kk]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, af[a5 + kk]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            x = FloatVector.broadcast(F, af[a6 + kk]);
            c60 = b0.fma(x, c60);
            c61 = b1.fma(x, c61);
            x = FloatVector.broadcast(F, af[a7 + kk]);
            c70 = b0.fma(x, c70);
            c71 = b1.fma(x, c71);
        }
        add(c00, tile, to, first);
        add(c01, tile, to + VL, first);
        add(c10, tile, to + NR, first);
        add(c11, tile, to + NR + VL, first);
        add(c20, tile, to + 2 * NR, first);
        add(c21, tile, to + 2 * NR + VL, first);
        add(c30, tile, to + 3 * NR, first);
        add(c31, tile, to + 3 * NR + VL, first);
        add(c40, tile, to + 4 * NR, first);
        add(c41, tile, to + 4 * NR + VL, first);
        add(c50, tile, to + 5 * NR, first);
        add(c51, tile, to + 5 * NR + VL, first);
        add(c60, tile, to + 6 * NR, first);
        add(c61, tile, to + 6 * NR + VL, first);
        add(c70, tile, to + 7 * NR, first);
        add(c71, tile, to + 7 * NR + VL, first);
    }

    private static void add(FloatVector c, int[] tile, int o, boolean first) {
        IntVector v = (IntVector) c.convert(VectorOperators.F2I, 0);
        if (!first) {
            v = v.add(IntVector.fromArray(I, tile, o));
        }
        v.intoArray(tile, o);
    }

    /**
     * The previous build's kernel ({@code kernel6f}: {@code kernel6} with the panel's block of B already widened to f32 ({@code bw}, {@code NR}
     * floats per k, see {@link Int8GemmMicroKernel#widen}), so the inner loop is SGEMM's: two vector loads and twelve
     * FMAs per k. {@link Int8Gemm} widens each block once per call and shares it across all row
     * tiles, instead of once per tile. The tile is {@code tile[to + r * NR + j]}.
     */
    static void kernel6f(int kc, float[] af, int ao, int lda, float[] bw, int[] tile, int to, boolean first) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        int a0 = ao, a1 = ao + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        int bk = 0;
        for (int kk = 0; kk < kc; kk++, bk += NR) {
            FloatVector b0 = FloatVector.fromArray(F, bw, bk);
            FloatVector b1 = FloatVector.fromArray(F, bw, bk + VL);
            FloatVector x = FloatVector.broadcast(F, af[a0 + kk]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, af[a1 + kk]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, af[a2 + kk]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, af[a3 + kk]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, af[a4 + kk]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, af[a5 + kk]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        // The block's exact float sums as int32, stored or added to the tile. Written out rather than
        // a helper taking a vector: C2 does not inline into a method this large, and a vector passed
        // to a call that is not inlined is boxed (an allocation per call, per accumulator).
        if (first) {
            ((IntVector) c00.convert(VectorOperators.F2I, 0)).intoArray(tile, to);
            ((IntVector) c01.convert(VectorOperators.F2I, 0)).intoArray(tile, to + VL);
            ((IntVector) c10.convert(VectorOperators.F2I, 0)).intoArray(tile, to + NR);
            ((IntVector) c11.convert(VectorOperators.F2I, 0)).intoArray(tile, to + NR + VL);
            ((IntVector) c20.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 2 * NR);
            ((IntVector) c21.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 2 * NR + VL);
            ((IntVector) c30.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 3 * NR);
            ((IntVector) c31.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 3 * NR + VL);
            ((IntVector) c40.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 4 * NR);
            ((IntVector) c41.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 4 * NR + VL);
            ((IntVector) c50.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 5 * NR);
            ((IntVector) c51.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 5 * NR + VL);
        } else {
            ((IntVector) c00.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to))
                    .intoArray(tile, to);
            ((IntVector) c01.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + VL))
                    .intoArray(tile, to + VL);
            ((IntVector) c10.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + NR))
                    .intoArray(tile, to + NR);
            ((IntVector) c11.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + NR + VL))
                    .intoArray(tile, to + NR + VL);
            ((IntVector) c20.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 2 * NR))
                    .intoArray(tile, to + 2 * NR);
            ((IntVector) c21.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 2 * NR + VL))
                    .intoArray(tile, to + 2 * NR + VL);
            ((IntVector) c30.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 3 * NR))
                    .intoArray(tile, to + 3 * NR);
            ((IntVector) c31.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 3 * NR + VL))
                    .intoArray(tile, to + 3 * NR + VL);
            ((IntVector) c40.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 4 * NR))
                    .intoArray(tile, to + 4 * NR);
            ((IntVector) c41.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 4 * NR + VL))
                    .intoArray(tile, to + 4 * NR + VL);
            ((IntVector) c50.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 5 * NR))
                    .intoArray(tile, to + 5 * NR);
            ((IntVector) c51.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 5 * NR + VL))
                    .intoArray(tile, to + 5 * NR + VL);
        }
    }

    /** {@link Int8GemmMicroKernel#kernel8p} for six rows ({@code ap[ao + kk · 6 + r]}). */
    static void kernel6p(int kc, float[] ap, int ao, float[] bw, int[] tile, int to, boolean first) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        int bk = 0;
        int at = ao;
        for (int kk = 0; kk < kc; kk++, bk += NR, at += 6) {
            FloatVector b0 = FloatVector.fromArray(F, bw, bk);
            FloatVector b1 = FloatVector.fromArray(F, bw, bk + VL);
            FloatVector x = FloatVector.broadcast(F, ap[at]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, ap[at + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, ap[at + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, ap[at + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, ap[at + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, ap[at + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
        }
        // The block's exact float sums as int32, stored or added to the tile. Written out rather than
        // a helper taking a vector: C2 does not inline into a method this large, and a vector passed
        // to a call that is not inlined is boxed (an allocation per call, per accumulator).
        if (first) {
            ((IntVector) c00.convert(VectorOperators.F2I, 0)).intoArray(tile, to);
            ((IntVector) c01.convert(VectorOperators.F2I, 0)).intoArray(tile, to + VL);
            ((IntVector) c10.convert(VectorOperators.F2I, 0)).intoArray(tile, to + NR);
            ((IntVector) c11.convert(VectorOperators.F2I, 0)).intoArray(tile, to + NR + VL);
            ((IntVector) c20.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 2 * NR);
            ((IntVector) c21.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 2 * NR + VL);
            ((IntVector) c30.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 3 * NR);
            ((IntVector) c31.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 3 * NR + VL);
            ((IntVector) c40.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 4 * NR);
            ((IntVector) c41.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 4 * NR + VL);
            ((IntVector) c50.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 5 * NR);
            ((IntVector) c51.convert(VectorOperators.F2I, 0)).intoArray(tile, to + 5 * NR + VL);
        } else {
            ((IntVector) c00.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to))
                    .intoArray(tile, to);
            ((IntVector) c01.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + VL))
                    .intoArray(tile, to + VL);
            ((IntVector) c10.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + NR))
                    .intoArray(tile, to + NR);
            ((IntVector) c11.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + NR + VL))
                    .intoArray(tile, to + NR + VL);
            ((IntVector) c20.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 2 * NR))
                    .intoArray(tile, to + 2 * NR);
            ((IntVector) c21.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 2 * NR + VL))
                    .intoArray(tile, to + 2 * NR + VL);
            ((IntVector) c30.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 3 * NR))
                    .intoArray(tile, to + 3 * NR);
            ((IntVector) c31.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 3 * NR + VL))
                    .intoArray(tile, to + 3 * NR + VL);
            ((IntVector) c40.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 4 * NR))
                    .intoArray(tile, to + 4 * NR);
            ((IntVector) c41.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 4 * NR + VL))
                    .intoArray(tile, to + 4 * NR + VL);
            ((IntVector) c50.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 5 * NR))
                    .intoArray(tile, to + 5 * NR);
            ((IntVector) c51.convert(VectorOperators.F2I, 0))
                    .add(IntVector.fromArray(I, tile, to + 5 * NR + VL))
                    .intoArray(tile, to + 5 * NR + VL);
        }
    }
}
