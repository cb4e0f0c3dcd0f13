package fsc.runtime.llm;

import fsc.runtime.ElemType;
import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp-numerics decode attention (f16 cache, flash mode) of the 1.1B shape (22 layers, 32/4
 * heads of 64, blocks of 16) for one token at 128 and at 2,048 positions, one thread: CPU time per
 * token of the machine-code tiles and of the scalar emulation, alternating in one JVM. A benchmark,
 * not a test: it asserts nothing. Run: {@code ./mvnw -B -pl runtime-min test -Pbench
 * -Dtest=F16FlashAttentionBench -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("bench")
class F16FlashAttentionBench {
    @Test
    void tilesAgainstScalarAt128And2048Positions() {
        int layers = 22, block = 16, heads = 32, kvHeads = 4, hd = 64, context = 2048;
        int blocks = context / block;
        PagedLayout layout = new PagedLayout(layers, block, heads, kvHeads, hd, 0.125f, ElemType.F16);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Random random = new Random(1);
        try (Arena arena = Arena.ofConfined();
                Parallelism par = Parallelism.of(1)) {
            MemorySegment cache = arena.allocate(blocks * layout.blockBytes(), 64);
            for (long i = 0; i < cache.byteSize() / 2; i++) {
                cache.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16((float) random.nextGaussian()));
            }
            MemorySegment table = arena.allocate(4L * blocks, 4);
            for (int b = 0; b < blocks; b++) {
                table.setAtIndex(ValueLayout.JAVA_INT, b, b);
            }
            MemorySegment q = arena.allocate(4L * heads * hd, 64);
            for (int i = 0; i < heads * hd; i++) {
                q.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
            }
            MemorySegment k = arena.allocate(4L * kvHeads * hd, 64);
            MemorySegment v = arena.allocate(4L * kvHeads * hd, 64);
            MemorySegment out = arena.allocate(4L * heads * hd, 64);
            MemorySegment seq = arena.allocate(4, 4);
            MemorySegment pos = arena.allocate(4, 4);
            StringBuilder md = new StringBuilder(
                    "| round | positions | tiles CPU ms / token | scalar CPU ms / token |\n|---|---|---|---|\n");
            for (int round = 0; round < 5; round++) {
                for (int p : new int[] {127, 2047}) {
                    pos.set(ValueLayout.JAVA_INT, 0, p);
                    int reps = p < 200 ? 40 : 4;
                    double[] ms = new double[2];
                    for (int mode = 0; mode < 2; mode++) {
                        long c0 = mx.getCurrentThreadCpuTime();
                        for (int r = 0; r < reps; r++) {
                            for (int l = 0; l < layers; l++) {
                                F16KvAttention.run(
                                        par, q, k, v, cache, table, seq, pos, out, layout, l, 1, 1, blocks, blocks,
                                        true, mode == 0);
                            }
                        }
                        ms[mode] = (mx.getCurrentThreadCpuTime() - c0) / 1e6 / reps;
                    }
                    md.append(String.format(Locale.ROOT, "| %d | %d | %.2f | %.2f |%n", round, p + 1, ms[0], ms[1]));
                }
            }
            System.out.print(md);
        }
    }
}
