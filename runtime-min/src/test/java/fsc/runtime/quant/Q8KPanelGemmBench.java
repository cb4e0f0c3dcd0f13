package fsc.runtime.quant;

import fsc.runtime.x86.Assembler;
import fsc.runtime.x86.Assembler.Mem;
import fsc.runtime.x86.ExecutableMemory;
import fsc.runtime.x86.Q8KGemmKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Q8_K prefill GEMM ({@link Q8KPanelGemm}) against the VNNI peak of this core and against the
 * prefill it replaced (the decode matvec {@link Q8KMatVec#rows} per token on chunks of 16 weight
 * rows), on the 1.1B model's shapes, 128 tokens (override with {@code -Dfsc.bench.q8kgemm.tokens}),
 * one thread, thread CPU time, the variants interleaved round by round. GOP/s counts 2 operations
 * per multiply-add of the GEMM. The peak rows are machine-code loops of 12 independent {@code
 * vpdpbusd} (register operands, then the kernel's broadcast memory form). A benchmark, not a test:
 * it asserts nothing. Run: {@code ./mvnw -B -pl runtime-min test -Pbench -Dtest=Q8KPanelGemmBench
 * -Dsurefire.failIfNoSpecifiedTests=false} (writes {@code target/bench-q8k-gemm.md}).
 */
@Tag("bench")
class Q8KPanelGemmBench {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int PEAK_UNROLL = 12;

    private interface Kernel {
        void run();
    }

    @Test
    void q8kPrefillGemm() throws Throwable {
        Assumptions.assumeTrue(Q8KPanelGemm.NATIVE != null, "needs AVX-512 VNNI");
        int reps = Integer.getInteger("fsc.bench.q8kgemm.reps", 7);
        int tokens = Integer.getInteger("fsc.bench.q8kgemm.tokens", 128);
        StringBuilder md = new StringBuilder(String.format(
                Locale.ROOT,
                "Q8_K prefill GEMM, %d tokens, 1 thread, %d interleaved rounds, thread CPU time\n\n",
                tokens,
                reps));
        double[] peak = peak(reps);
        md.append(String.format(
                Locale.ROOT,
                "VNNI peak (12 independent vpdpbusd zmm): registers %.1f GOP/s, broadcast memory operand %.1f GOP/s (medians)\n\n",
                peak[0],
                peak[1]));
        md.append(
                "| weights | n x k | variant | ms median | ms best | GOP/s median | of peak | speed-up over before |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (GgmlType type : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q6_K}) {
            for (int[] shape : new int[][] {{2048, 2048}, {5632, 2048}, {2048, 5632}}) {
                int n = shape[0];
                int k = shape[1];
                Random rnd = new Random(3);
                Arena arena = Arena.ofAuto();
                MemorySegment w = RandomWeights.of(arena, type, n, k, rnd);
                MemorySegment x = arena.allocate(4L * tokens * k, 64);
                for (long i = 0; i < (long) tokens * k; i++) {
                    x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
                }
                MemorySegment y = arena.allocate(4L * tokens * n, 64);
                Q8K xq = Q8K.quantize(x, 0, tokens, k);
                Q8KMatVec.Prepared prepared = new Q8KMatVec.Prepared().prepare(xq);
                Q8KGemmActivations act = new Q8KGemmActivations().prepare(xq);
                Q8KPanelGemm.Scratch scratch = new Q8KPanelGemm.Scratch();
                long rowBytes = type.bytesFor(k);
                int kind = type == GgmlType.Q4_K ? Q8KGemmKernels.Q4_K : Q8KGemmKernels.Q6_K;
                MemorySegment panel = arena.allocate((long) k / 256 * Q8KGemmKernels.panelBlock(kind), 64);
                MemorySegment yPanel = arena.allocate(4L * Q8KPanelGemm.ROWS * tokens, 64);
                Q8KPanelGemm.unpack(kind, w, rowBytes, 0, Q8KPanelGemm.ROWS, k / 256, panel, scratch, true);
                String[] names = {
                    "before: Q8KMatVec.rows per token, chunks of 16 rows",
                    "panel GEMM (unpack + kernel, runs of 8 tokens)",
                    "kernel alone, runs of 8 tokens (one panel, n/16 times)",
                    "kernel alone, runs of 6 tokens",
                    "kernel alone, runs of 4 tokens",
                    "unpacking the panels, machine code",
                    "unpacking the panels, Java loops",
                    "quantize to Q8_K + lay out the activation: Q8K.quantize + prepare (reference)",
                    "quantize to Q8_K + lay out the activation: Q8KGemmActivations.quantize (per matmul)",
                };
                Kernel[] kernels = {
                    () -> {
                        for (int j = 0; j < n; j += 16) {
                            for (int t = 0; t < tokens; t++) {
                                Q8KMatVec.rows(type, w, rowBytes, prepared, t, y, 4L * t * n, j, j + 16);
                            }
                        }
                    },
                    () -> {
                        for (int row0 = 0; row0 < n; row0 += Q8KPanelGemm.ROWS) {
                            Q8KPanelGemm.panel(type, w, act, scratch, row0, n, y, 0);
                        }
                    },
                    () -> multiplyAll(kind, panel, act, scratch, yPanel, n, 8),
                    () -> multiplyAll(kind, panel, act, scratch, yPanel, n, 6),
                    () -> multiplyAll(kind, panel, act, scratch, yPanel, n, 4),
                    () -> unpackAll(kind, w, rowBytes, n, k, panel, scratch, true),
                    () -> unpackAll(kind, w, rowBytes, n, k, panel, scratch, false),
                    () -> act.prepare(Q8K.quantize(x, 0, tokens, k, xq)),
                    () -> act.reserve(tokens, k).quantize(x, 0, 0, tokens),
                };
                double[][] ms = new double[kernels.length][reps];
                for (int i = 0; i < 2; i++) { // warm-up: C2 and the kernels' first link
                    for (Kernel kernel : kernels) {
                        kernel.run();
                    }
                }
                for (int r = 0; r < reps; r++) {
                    for (int i = 0; i < kernels.length; i++) {
                        long t0 = THREADS.getCurrentThreadCpuTime();
                        kernels[i].run();
                        ms[i][r] = (THREADS.getCurrentThreadCpuTime() - t0) / 1e6;
                    }
                }
                double ops = 2.0 * n * k * tokens;
                double before = median(ms[0]);
                for (int i = 0; i < kernels.length; i++) {
                    double med = median(ms[i]);
                    boolean gemm = i < 5;
                    md.append(String.format(
                            Locale.ROOT,
                            "| %s | %d x %d | %s | %.2f | %.2f | %s | %s | %s |\n",
                            type,
                            n,
                            k,
                            names[i],
                            med,
                            Arrays.stream(ms[i]).min().orElseThrow(),
                            gemm ? String.format(Locale.ROOT, "%.1f", ops / med / 1e6) : "-",
                            gemm ? String.format(Locale.ROOT, "%.0f%%", 100 * ops / med / 1e6 / peak[1]) : "-",
                            gemm ? String.format(Locale.ROOT, "%.2fx", before / med) : "-"));
                }
            }
        }
        System.out.print(md);
        Path out = Path.of("target", "bench-q8k-gemm.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md);
    }

    private static void multiplyAll(
            int kind,
            MemorySegment panel,
            Q8KGemmActivations act,
            Q8KPanelGemm.Scratch s,
            MemorySegment y,
            int n,
            int run) {
        for (int row0 = 0; row0 < n; row0 += Q8KPanelGemm.ROWS) {
            Q8KPanelGemm.multiply(kind, panel, act, s, y.address(), 4L * Q8KPanelGemm.ROWS, run);
        }
    }

    private static void unpackAll(
            int kind,
            MemorySegment w,
            long rowBytes,
            int n,
            int k,
            MemorySegment panel,
            Q8KPanelGemm.Scratch s,
            boolean code) {
        for (int row0 = 0; row0 < n; row0 += Q8KPanelGemm.ROWS) {
            Q8KPanelGemm.unpack(kind, w, rowBytes, row0, Q8KPanelGemm.ROWS, k / 256, panel, s, code);
        }
    }

    /** Medians of GOP/s of the register and broadcast-memory {@code vpdpbusd} loops. */
    private static double[] peak(int reps) throws Throwable {
        MethodHandle registers = ExecutableMemory.link(
                peakCode(false), FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        MethodHandle memory = ExecutableMemory.link(
                peakCode(true), FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        MemorySegment buf = Arena.ofAuto().allocate(4096, 64);
        long iterations = 2_000_000;
        double[][] gops = new double[2][reps];
        for (int r = -1; r < reps; r++) {
            for (int v = 0; v < 2; v++) {
                long t0 = THREADS.getCurrentThreadCpuTime();
                (v == 0 ? registers : memory).invokeExact(iterations, buf.address());
                double s = (THREADS.getCurrentThreadCpuTime() - t0) / 1e9;
                if (r >= 0) {
                    gops[v][r] = iterations * PEAK_UNROLL * 64 * 2 / s / 1e9;
                }
            }
        }
        return new double[] {median(gops[0]), median(gops[1])};
    }

    /** {@code rdi} iterations of 12 independent {@code vpdpbusd}; {@code rsi} a readable buffer. */
    private static byte[] peakCode(boolean broadcast) {
        Assembler a = new Assembler();
        int loop = a.newLabel();
        a.bind(loop);
        for (int i = 0; i < PEAK_UNROLL; i++) {
            if (broadcast) {
                a.vpdpbusdBroadcast(i, 30, Mem.at(Assembler.RSI, 4 * i));
            } else {
                a.vpdpbusd(i, 30, 31);
            }
        }
        a.dec(Assembler.RDI);
        a.jnz(loop);
        a.vzeroupper();
        a.ret();
        return a.bytes();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
