package fsc.runtime.llm;

import fsc.runtime.Parallelism;
import fsc.runtime.kernels.Sgemm;
import fsc.runtime.quant.GgmlType;
import fsc.runtime.quant.QuantDotRows;
import fsc.runtime.quant.RandomWeights;
import fsc.runtime.quant.RowDequantizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Prefill matmul ceilings on the 1.1B model's FFN shapes (gate/up: 5632 × 2048, down: 2048 × 5632),
 * 128 tokens: {@link PrefillGemm} against the formulation it replaced (48 weight rows dequantized
 * into a native chunk, then {@link Sgemm#gemmPacked} on activations packed once), in GFLOP/s of
 * thread CPU time (robust to a loaded machine: time a thread spends descheduled is not counted) and
 * of wall time, with 1 and 2 threads; with 2, each thread's CPU time shows whether the work is split.
 * A benchmark, not a test: it asserts nothing.
 *
 * <p>Run: {@code ./mvnw -B -pl runtime-min test -Pbench -Dtest=PrefillGemmBench
 * -Dsurefire.failIfNoSpecifiedTests=false -Dspotless.check.skip=true} (types: {@code
 * -Dfsc.bench.prefill.types=Q4_0,Q8_0,Q4_K,Q6_K,F32}).
 */
@Tag("bench")
class PrefillGemmBench {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private static final int CHUNK = 48;

    @Test
    void prefillMatmul() {
        int tokens = Integer.getInteger("fsc.bench.prefill.tokens", 128);
        int reps = Integer.getInteger("fsc.bench.prefill.reps", 5);
        String[] types = System.getProperty("fsc.bench.prefill.types", "Q4_0,Q8_0,Q4_K,Q6_K,F32")
                .split(",");
        int[][] shapes = {{5632, 2048}, {2048, 5632}};
        Random rnd = new Random(1);
        System.out.println(
                "| type | n × k | threads | formulation | GFLOP/s (CPU) | GFLOP/s (wall) | CPU ms per call, per thread |");
        System.out.println("|---|---|---|---|---|---|---|");
        try (Arena a = Arena.ofShared()) {
            for (String tn : types) {
                GgmlType type = GgmlType.valueOf(tn);
                for (int[] s : shapes) {
                    int n = s[0];
                    int k = s[1];
                    MemorySegment w = RandomWeights.of(a, type, n, k, rnd);
                    MemorySegment x = a.allocate(4L * tokens * k, 64);
                    for (long i = 0; i < (long) tokens * k; i++) {
                        x.set(LlmKernels.F32, 4 * i, (float) rnd.nextGaussian());
                    }
                    MemorySegment y = a.allocate(4L * tokens * n, 64);
                    double flops = 2.0 * tokens * n * k;
                    for (int threads : new int[] {1, 2}) {
                        try (Parallelism par = Parallelism.of(threads)) {
                            run(
                                    type,
                                    n,
                                    k,
                                    threads,
                                    "PrefillGemm",
                                    flops,
                                    reps,
                                    par,
                                    () -> PrefillGemm.matmul(par, type, w, x, y, tokens, k, n));
                            run(
                                    type,
                                    n,
                                    k,
                                    threads,
                                    "dequant 48 rows + Sgemm",
                                    flops,
                                    reps,
                                    par,
                                    () -> sgemmChunks(par, type, w, x, y, tokens, k, n));
                        }
                    }
                }
            }
        }
    }

    private static void run(
            GgmlType type,
            int n,
            int k,
            int threads,
            String name,
            double flops,
            int reps,
            Parallelism par,
            Runnable r) {
        for (int i = 0; i < 3; i++) {
            r.run();
        }
        long[] ids = ids();
        long[] cpu0 = cpu(ids);
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            r.run();
        }
        long wall = System.nanoTime() - t0;
        long[] cpu1 = cpu(ids);
        StringBuilder per = new StringBuilder();
        long total = 0;
        long max = 0;
        for (int i = 0; i < ids.length; i++) {
            long d = cpu1[i] - cpu0[i];
            if (d > 1_000_000) {
                per.append(String.format(Locale.ROOT, "%.1f ", d / 1e6 / reps));
                total += d;
                max = Math.max(max, d);
            }
        }
        // CPU rate: the work over the busiest thread's CPU time (what wall time would be on idle cores).
        System.out.printf(
                Locale.ROOT,
                "| %s | %d × %d | %d | %s | %.1f | %.1f | %s|%n",
                type,
                n,
                k,
                threads,
                name,
                flops * reps / max,
                flops * reps / wall,
                per);
    }

    /** The calling thread and the team's workers. */
    private static long[] ids() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t == Thread.currentThread() || t.getName().startsWith("fsc-worker"))
                .mapToLong(Thread::threadId)
                .toArray();
    }

    private static long[] cpu(long[] ids) {
        long[] c = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            c[i] = MX.getThreadCpuTime(ids[i]);
        }
        return c;
    }

    /** The formulation PrefillGemm replaced (LlmKernels before it), for comparison. */
    private static void sgemmChunks(
            Parallelism par, GgmlType type, MemorySegment w, MemorySegment x, MemorySegment y, int rows, int k, int n) {
        long rowBytes = type.bytesFor(k);
        MemorySegment xp = Arena.ofAuto().allocate(Sgemm.packedBytes(k, rows), 64);
        Sgemm.packB(x, 0L, k, rows, true, xp, 0L);
        Parallelism serial = SERIAL;
        par.forRange(0, n, CHUNK, (from, to) -> {
            MemorySegment chunk = CHUNKS.get();
            MemorySegment tile = TILES.get();
            float[] row = new float[k];
            for (int j0 = from; j0 < to; j0 += CHUNK) {
                int cn = Math.min(CHUNK, to - j0);
                for (int j = 0; j < cn; j++) {
                    if (type == GgmlType.Q4_0 || type == GgmlType.Q8_0) {
                        QuantDotRows.dequantize(type, w, (j0 + j) * rowBytes, k, row, 0);
                    } else {
                        RowDequantizer.dequantize(type, w, (j0 + j) * rowBytes, k, row, 0);
                    }
                    MemorySegment.copy(row, 0, chunk, LlmKernels.F32, 4L * j * k, k);
                }
                Sgemm.gemmPacked(cn, rows, k, chunk, 0L, k, xp, 0L, tile, 0L, rows, false, serial);
                for (int t = 0; t < rows; t++) {
                    for (int j = 0; j < cn; j++) {
                        y.set(
                                LlmKernels.F32,
                                4L * ((long) t * n + j0 + j),
                                tile.get(LlmKernels.F32, 4L * ((long) j * rows + t)));
                    }
                }
            }
        });
    }

    /**
     * The micro-kernel alone on L1-resident tiles (A 8 × 256, one B panel of 256 × 32, C 8 × 32):
     * {@link PrefillGemm#kernel8x2} against a 12-row variant (24 accumulators, 12 broadcasts and 2
     * loads per 24 FMAs), GFLOP/s of thread CPU time, best of 7 rounds.
     */
    @Test
    void microKernelCeiling() {
        int kc = PrefillGemm.KC;
        int nr = PrefillGemm.NR;
        Random rnd = new Random(2);
        float[] a = new float[12 * kc];
        float[] b = new float[kc * nr];
        float[] c = new float[12 * nr];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextGaussian() * 1e-3f;
        }
        int calls = 20_000;
        for (int round = 0; round < 7; round++) {
            long t0 = MX.getCurrentThreadCpuTime();
            for (int i = 0; i < calls; i++) {
                PrefillGemm.kernel8x2(kc, a, 0, kc, b, 0, c, 0, nr);
            }
            long t1 = MX.getCurrentThreadCpuTime();
            for (int i = 0; i < calls; i++) {
                kernel12x2(kc, a, 0, kc, b, 0, c, 0, nr);
            }
            long t2 = MX.getCurrentThreadCpuTime();
            System.out.printf(
                    Locale.ROOT,
                    "micro-kernel GFLOP/s (CPU): 8x2v %.1f, 12x2v %.1f%n",
                    2.0 * 8 * nr * kc * calls / (t1 - t0),
                    2.0 * 12 * nr * kc * calls / (t2 - t1));
        }
    }

    /** {@link PrefillGemm#kernel8x2} with 12 rows. */
    static void kernel12x2(int kc, float[] a, int ao, int lda, float[] b, int bo, float[] c, int co, int ldc) {
        var s = PrefillGemm.S;
        int vl = PrefillGemm.VL;
        int nr = PrefillGemm.NR;
        jdk.incubator.vector.FloatVector c00 = jdk.incubator.vector.FloatVector.fromArray(s, c, co), c01 = c00;
        jdk.incubator.vector.FloatVector c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        jdk.incubator.vector.FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00;
        jdk.incubator.vector.FloatVector c70 = c00, c71 = c00, c80 = c00, c81 = c00, c90 = c00, c91 = c00;
        jdk.incubator.vector.FloatVector ca0 = c00, ca1 = c00, cb0 = c00, cb1 = c00;
        for (int kk = 0; kk < kc; kk++) {
            int bk = bo + kk * nr;
            var b0 = jdk.incubator.vector.FloatVector.fromArray(s, b, bk);
            var b1 = jdk.incubator.vector.FloatVector.fromArray(s, b, bk + vl);
            var v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + kk]);
            c00 = b0.fma(v, c00);
            c01 = b1.fma(v, c01);
            v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + lda + kk]);
            c10 = b0.fma(v, c10);
            c11 = b1.fma(v, c11);
            v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + 2 * lda + kk]);
            c20 = b0.fma(v, c20);
            c21 = b1.fma(v, c21);
            v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + 3 * lda + kk]);
            c30 = b0.fma(v, c30);
            c31 = b1.fma(v, c31);
            v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + 4 * lda + kk]);
            c40 = b0.fma(v, c40);
            c41 = b1.fma(v, c41);
            v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + 5 * lda + kk]);
            c50 = b0.fma(v, c50);
            c51 = b1.fma(v, c51);
            v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + 6 * lda + kk]);
            c60 = b0.fma(v, c60);
            c61 = b1.fma(v, c61);
            v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + 7 * lda + kk]);
            c70 = b0.fma(v, c70);
            c71 = b1.fma(v, c71);
            v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + 8 * lda + kk]);
            c80 = b0.fma(v, c80);
            c81 = b1.fma(v, c81);
            v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + 9 * lda + kk]);
            c90 = b0.fma(v, c90);
            c91 = b1.fma(v, c91);
            v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + 10 * lda + kk]);
            ca0 = b0.fma(v, ca0);
            ca1 = b1.fma(v, ca1);
            v = jdk.incubator.vector.FloatVector.broadcast(s, a[ao + 11 * lda + kk]);
            cb0 = b0.fma(v, cb0);
            cb1 = b1.fma(v, cb1);
        }
        var sum = c00.add(c01)
                .add(c10)
                .add(c11)
                .add(c20)
                .add(c21)
                .add(c30)
                .add(c31)
                .add(c40)
                .add(c41);
        sum = sum.add(c50)
                .add(c51)
                .add(c60)
                .add(c61)
                .add(c70)
                .add(c71)
                .add(c80)
                .add(c81)
                .add(c90)
                .add(c91);
        sum.add(ca0).add(ca1).add(cb0).add(cb1).intoArray(c, co);
    }

    private static final Parallelism SERIAL = Parallelism.of(1);
    private static final ThreadLocal<MemorySegment> CHUNKS =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(4L * CHUNK * 5632, 64));
    private static final ThreadLocal<MemorySegment> TILES =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(4L * CHUNK * 512, 64));
}
