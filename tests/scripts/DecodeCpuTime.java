import fsc.runtime.CompiledModel;
import fsc.runtime.ModelJar;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * Decode CPU time per token of a compiled GGUF decoder after several context depths, one thread:
 * for each depth (ascending), random tokens are prefilled up to it, then 3 warm-up and {@code reps}
 * timed runs of {@code n} decode steps, each from that depth, as {@code fsc bench}'s {@code tgN @ dD}
 * drives the runtime's {@code Decoder}. Thread CPU time, not wall clock, so a loaded shared machine
 * still gives comparable figures. Run with the jar as the class path, so the jar's own bundled
 * runtime runs ({@code fsc bench} loads a jar's classes parent-first, under its own runtime):
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp model.jar tests/scripts/DecodeCpuTime.java model.jar 32 5 128 2048
 * </pre>
 */
public class DecodeCpuTime {
    public static void main(String[] a) throws Exception {
        Path jar = Path.of(a[0]);
        int n = Integer.parseInt(a[1]), reps = Integer.parseInt(a[2]);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Random rnd = new Random(1234);
        try (CompiledModel m = ModelJar.open(jar, 1)) {
            LlmConfig config = LlmConfig.load(m.getClass().getClassLoader());
            int block = config.layout().blockSize();
            int deepest = Integer.parseInt(a[a.length - 1]);
            try (KvCache cache = new KvCache(config.layout(), (deepest + n + block - 1) / block + 1, 1, config.maxContext())) {
                Decoder decoder = new Decoder(m, config, cache);
                float[] logits = new float[config.vocab()];
                int have = 0;
                for (int k = 3; k < a.length; k++) {
                    int depth = Integer.parseInt(a[k]);
                    cache.truncate(0, have);
                    while (have < depth) {
                        int len = Math.min(config.maxBatchTokens(), depth - have);
                        int[] tok = new int[len], pos = new int[len];
                        int start = cache.append(0, len);
                        for (int i = 0; i < len; i++) { tok[i] = rnd.nextInt(config.vocab()); pos[i] = start + i; }
                        decoder.step(tok, pos, new int[len], new int[] {len - 1});
                        have += len;
                    }
                    double[] cpu = new double[reps], wall = new double[reps];
                    for (int r = -3; r < reps; r++) {
                        cache.truncate(0, depth);
                        int[] tok = {rnd.nextInt(config.vocab())}, pos = new int[1], seq = {0}, row = {0};
                        long c0 = mx.getCurrentThreadCpuTime(), w0 = System.nanoTime();
                        for (int i = 0; i < n; i++) {
                            pos[0] = cache.append(0, 1);
                            decoder.step(tok, pos, seq, row, logits);
                            tok[0] = rnd.nextInt(config.vocab());
                        }
                        if (r >= 0) {
                            cpu[r] = (mx.getCurrentThreadCpuTime() - c0) / 1e6 / n;
                            wall[r] = (System.nanoTime() - w0) / 1e6 / n;
                        }
                    }
                    cache.truncate(0, depth);
                    Arrays.sort(cpu); Arrays.sort(wall);
                    System.out.printf("%s d%d: CPU ms/token median %.2f (min %.2f max %.2f), wall median %.2f%n",
                            jar.getFileName(), depth, cpu[reps / 2], cpu[0], cpu[reps - 1], wall[reps / 2]);
                }
            }
        }
    }
}
