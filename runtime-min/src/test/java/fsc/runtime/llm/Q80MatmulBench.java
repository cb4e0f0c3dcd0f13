package fsc.runtime.llm;

import fsc.runtime.Parallelism;
import fsc.runtime.quant.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Q4_0/Q8_0 matmul speed in the default numerics ({@link LlmKernels#qmatmul}: the f32 decode matvec,
 * {@code PrefillGemm} from 24 rows) against llama.cpp's numerics ({@link LlmKernels#qmatmulQ80}: Q8_0
 * activations, {@code Q80Kernels}), on the 1.1B model's shapes ([5632 × 2048] and [2048 × 5632]),
 * one thread, decode (1 row) and prefill (128 rows). Times are thread CPU time (the machine is
 * shared; wall time would count other sessions), the two paths interleaved call by call, median and
 * best of {@code reps}. A benchmark, not a test: it asserts nothing.
 *
 * <p>Run: {@code ./mvnw -B -pl runtime-min test -Pbench -Dtest=Q80MatmulBench
 * -Dsurefire.failIfNoSpecifiedTests=false -Dspotless.check.skip=true} (prints Markdown; also
 * writes {@code target/bench-q80.md}).
 */
@Tag("bench")
class Q80MatmulBench {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    @Test
    void f32VersusQ80Activations() throws IOException {
        int reps = Integer.getInteger("fsc.bench.q80.reps", 15);
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                Locale.ROOT, "Q4_0/Q8_0 matmul, 1 thread, thread CPU ms per call, median / best of %d\n\n", reps));
        md.append("| weights | n × k | rows | f32 activations ms | Q8_0 activations ms | speed-up (median) |"
                + " Q8_0 GB/s (median) |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        Random rnd = new Random(1);
        int[][] shapes = {{5632, 2048}, {2048, 5632}};
        try (Arena a = Arena.ofShared();
                Parallelism par = Parallelism.of(1)) {
            for (GgmlType type : new GgmlType[] {GgmlType.Q4_0, GgmlType.Q8_0}) {
                for (int[] shape : shapes) {
                    int n = shape[0];
                    int k = shape[1];
                    MemorySegment w = weights(a, type, n, k, rnd);
                    for (int rows : new int[] {1, 128}) {
                        MemorySegment x = a.allocate(4L * rows * k, 64);
                        for (long i = 0; i < (long) rows * k; i++) {
                            x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
                        }
                        MemorySegment y = a.allocate(4L * rows * n, 64);
                        int calls = rows == 1 ? 20 : 1;
                        long[][] t = interleaved(
                                reps,
                                calls,
                                () -> LlmKernels.qmatmul(par, type, w, x, y, rows, k, n),
                                () -> LlmKernels.qmatmulQ80(par, type, w, x, y, rows, k, n));
                        double f32 = median(t[0]), q80 = median(t[1]);
                        md.append(String.format(
                                Locale.ROOT,
                                "| %s | %d × %d | %d | %.3f / %.3f | %.3f / %.3f | %.2fx | %.2f |\n",
                                type,
                                n,
                                k,
                                rows,
                                f32 / 1e6,
                                best(t[0]) / 1e6,
                                q80 / 1e6,
                                best(t[1]) / 1e6,
                                f32 / q80,
                                w.byteSize() / q80));
                    }
                }
            }
        }
        System.out.print(md);
        Path out = Path.of("target", "bench-q80.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md);
    }

    /** Per round, the thread CPU ns of one call of each (the mean of {@code calls} calls), after warm-up. */
    private static long[][] interleaved(int reps, int calls, Runnable a, Runnable b) {
        for (int i = 0; i < 5; i++) {
            a.run();
            b.run();
        }
        long[][] t = new long[2][reps];
        for (int i = 0; i < reps; i++) {
            t[0][i] = time(calls, a);
            t[1][i] = time(calls, b);
        }
        return t;
    }

    private static long time(int calls, Runnable r) {
        long t0 = MX.getCurrentThreadCpuTime();
        for (int c = 0; c < calls; c++) {
            r.run();
        }
        return (MX.getCurrentThreadCpuTime() - t0) / calls;
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double best(long[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }

    /** Random blocks with small f16 scales, so every value is finite. */
    private static MemorySegment weights(Arena a, GgmlType type, int n, int k, Random rnd) {
        MemorySegment w = a.allocate(type.bytesFor((long) n * k), 64);
        byte[] raw = new byte[(int) w.byteSize()];
        rnd.nextBytes(raw);
        MemorySegment.copy(raw, 0, w, ValueLayout.JAVA_BYTE, 0, raw.length);
        for (long at = 0; at < w.byteSize(); at += type.blockBytes()) {
            w.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, Float.floatToFloat16((float) (rnd.nextDouble() * 0.01 + 1e-4)));
        }
        return w;
    }
}
