package fsc.runtime.llm;

import fsc.runtime.Parallelism;
import fsc.runtime.quant.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * K-quant matmul speed with f32 activations ({@link LlmKernels#qmatmul}: float dot products on the
 * packed blocks, or unpack-once for prefill) against Q8_K activations ({@link
 * LlmKernels#qmatmulQ8K}: quantize each activation row once, then integer dot products), on 1B-class
 * shapes (override with {@code -Dfsc.bench.q8k.k=... -Dfsc.bench.q8k.n=...}), one thread, decode (1
 * row) and prefill (32 rows). Time per call is the best of {@code reps} after warm-up. A benchmark,
 * not a test: it asserts nothing.
 *
 * <p>Run: {@code ./mvnw -B -o -pl runtime-min test -Pbench -Dtest=KQuantMatmulBench
 * -Dsurefire.failIfNoSpecifiedTests=false} (prints Markdown; also writes {@code
 * target/bench-q8k.md}).
 */
@Tag("bench")
class KQuantMatmulBench {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void f32VersusQ8KActivations() throws IOException {
        int k = Integer.getInteger("fsc.bench.q8k.k", 2048);
        int n = Integer.getInteger("fsc.bench.q8k.n", 2048);
        int reps = Integer.getInteger("fsc.bench.q8k.reps", 15);
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                Locale.ROOT,
                "K-quant matmul, %d x %d weights, 1 thread, best of %d (ms per call; GB/s of weight bytes)\n\n",
                n,
                k,
                reps));
        md.append("| weights | rows | f32 activations ms | Q8_K activations ms | speed-up | Q8_K GB/s |\n");
        md.append("|---|---|---|---|---|---|\n");
        Random rnd = new Random(1);
        try (Arena a = Arena.ofShared();
                Parallelism par = Parallelism.of(1)) {
            for (GgmlType type : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q6_K}) {
                MemorySegment w = weights(a, type, n, k, rnd);
                for (int rows : new int[] {1, 32}) {
                    MemorySegment x = a.allocate(4L * rows * k, 64);
                    for (long i = 0; i < (long) rows * k; i++) {
                        x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
                    }
                    MemorySegment y = a.allocate(4L * rows * n, 64);
                    double f32 = best(reps, () -> LlmKernels.qmatmul(par, type, w, x, y, rows, k, n));
                    double q8k = best(reps, () -> LlmKernels.qmatmulQ8K(par, type, w, x, y, rows, k, n));
                    md.append(String.format(
                            Locale.ROOT,
                            "| %s | %d | %.3f | %.3f | %.2fx | %.1f |\n",
                            type,
                            rows,
                            f32 * 1e3,
                            q8k * 1e3,
                            f32 / q8k,
                            w.byteSize() / q8k / 1e9));
                }
            }
        }
        System.out.print(md);
        Path out = Path.of("target", "bench-q8k.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md);
    }

    /** Seconds of the fastest of {@code reps} runs, after as many warm-up runs. */
    private static double best(int reps, Runnable r) {
        for (int i = 0; i < reps; i++) {
            r.run();
        }
        long best = Long.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best / 1e9;
    }

    /** Random blocks with small f16 scales, so every value is finite. */
    private static MemorySegment weights(Arena a, GgmlType type, int n, int k, Random rnd) {
        MemorySegment w = a.allocate(type.bytesFor((long) n * k), 64);
        byte[] raw = new byte[(int) w.byteSize()];
        rnd.nextBytes(raw);
        MemorySegment.copy(raw, 0, w, ValueLayout.JAVA_BYTE, 0, raw.length);
        for (long at = 0; at < w.byteSize(); at += type.blockBytes()) {
            short d = Float.floatToFloat16((float) (rnd.nextDouble() * 0.01 + 1e-4));
            if (type == GgmlType.Q6_K) {
                w.set(I16, at + 208, d);
            } else {
                w.set(I16, at, d);
                w.set(I16, at + 2, d);
            }
        }
        return w;
    }
}
