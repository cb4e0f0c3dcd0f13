package fsc.runtime.llm;

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
 * Decode attention of the 1.1B shape (22 layers, 32/4 heads of 64, f32 cache in blocks of 16) for
 * one token at 128 and at 2,048 positions, one thread: CPU time per token, so the ratio says how
 * flat decode is in context length (issue 13 item 5). A benchmark, not a test: it asserts nothing.
 * Run: {@code ./mvnw -B -pl runtime-min test -Pbench -Dtest=DecodeAttentionBench
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("bench")
class DecodeAttentionBench {
    @Test
    void attentionAt128And2048Positions() {
        int layers = 22, block = 16, heads = 32, kvHeads = 4, hd = 64, context = 2048;
        int blocks = context / block;
        PagedLayout layout = new PagedLayout(layers, block, heads, kvHeads, hd, 0.125f);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Random random = new Random(1);
        try (Arena arena = Arena.ofConfined();
                Parallelism par = Parallelism.of(1)) {
            MemorySegment cache = arena.allocate(4L * blocks * layout.blockFloats(), 64);
            for (long i = 0; i < cache.byteSize() / 4; i += 7) {
                cache.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
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
            StringBuilder md = new StringBuilder("| round | positions | CPU ms / token (22 layers) |\n|---|---|---|\n");
            for (int round = 0; round < 6; round++) {
                for (int p : new int[] {127, 2047}) {
                    pos.set(ValueLayout.JAVA_INT, 0, p);
                    int reps = p < 200 ? 200 : 20;
                    long c0 = mx.getCurrentThreadCpuTime();
                    for (int r = 0; r < reps; r++) {
                        for (int l = 0; l < layers; l++) {
                            LlmKernels.pagedAttention(
                                    par, q, k, v, cache, table, seq, pos, out, layers, block, heads, kvHeads, hd,
                                    0.125f, l, 1, 1, blocks, blocks);
                        }
                    }
                    long c1 = mx.getCurrentThreadCpuTime();
                    md.append(String.format(Locale.ROOT, "| %d | %d | %.2f |%n", round, p + 1, (c1 - c0) / 1e6 / reps));
                }
            }
            System.out.print(md);
        }
    }
}
