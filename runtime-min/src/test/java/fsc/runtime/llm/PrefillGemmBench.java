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
                "| type | n × k | threads | formulation | GFLOP/s (CPU) | GFLOP/s (wall) | CPU s per thread |");
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
                per.append(String.format(Locale.ROOT, "%.2f ", d / 1e9 / reps));
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

    private static final Parallelism SERIAL = Parallelism.of(1);
    private static final ThreadLocal<MemorySegment> CHUNKS =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(4L * CHUNK * 5632, 64));
    private static final ThreadLocal<MemorySegment> TILES =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(4L * CHUNK * 512, 64));
}
