package fsc.cli.perf;

import fsc.compiler.perf.JitActivity;
import fsc.compiler.perf.Settle;
import fsc.compiler.perf.Stats;
import fsc.ir.FscException;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * llama-bench's two tests on a compiled decoder, through the runtime's public API ({@link Decoder},
 * {@link KvCache}) as the generation loop drives it:
 *
 * <ul>
 *   <li>{@code ppN}: an empty cache, then N random prompt tokens in steps of at most the model's
 *       {@code maxBatchTokens}; t/s = N ÷ wall time.
 *   <li>{@code tgN}: an empty cache, then N steps of one random token each (positions 0..N-1, as
 *       llama-bench generates from an empty context); t/s = N ÷ wall time.
 *   <li>{@code ppN @ dD}, {@code tgN @ dD} (llama-bench's {@code -d}): the same after D random tokens
 *       already in the cache, so attention reads D more positions per token. The D tokens are
 *       prefilled once per test, untimed; each run truncates the cache back to them (llama-bench
 *       refills them every repetition, also untimed: the timed work is the same).
 * </ul>
 *
 * Each test repeats until two consecutive runs agree within the tolerance with the JIT idle during
 * the second (at most {@code maxWarmupSeconds} of runs), then {@code reps} timed runs give mean ± sample sd of t/s,
 * as llama-bench computes it over its repetitions.
 */
public final class DecoderBench {
    /** One row: the test name ({@code pp128}), threads, t/s per repetition, and how warm-up ended. */
    public record Row(String test, int threads, Stats tokensPerSecond, int warmupRuns, boolean settled) {}

    private final CompiledModel model;
    private final LlmConfig config;
    private final int threads;
    private final Random rnd = new Random(1234);

    public DecoderBench(CompiledModel model, LlmConfig config, int threads) {
        this.model = model;
        this.config = config;
        this.threads = threads;
    }

    /** Refuses token counts the compiled model cannot hold, with the deepest {@code depths} before them. */
    public static void check(LlmConfig config, List<Integer> prompts, List<Integer> gens, List<Integer> depths) {
        int deepest = 0;
        for (int d : depths) {
            if (d < 0) {
                throw new FscException("-d " + d + " is negative: it is the number of tokens already in the cache");
            }
            deepest = Math.max(deepest, d);
        }
        for (int n : concat(prompts, gens)) {
            if (n < 1 || deepest + n > config.maxContext()) {
                throw new FscException(
                        (deepest == 0 ? "-p/-n " + n : "-p/-n " + n + " after -d " + deepest) + " is outside 1.."
                                + config.maxContext() + " tokens (the context the decoder was compiled for)",
                        "recompile with --max-context N");
            }
        }
    }

    /** llama-bench's name for a test: {@code tg64}, or {@code tg64 @ d2048} after a context. */
    static String testName(String kind, int n, int depth) {
        return kind + n + (depth == 0 ? "" : " @ d" + depth);
    }

    private static List<Integer> concat(List<Integer> a, List<Integer> b) {
        List<Integer> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    public Row prompt(int n, int depth, int reps, double tolerance, double maxWarmupSeconds, PrintStream progress) {
        try (Context c = new Context(depth, n, progress)) {
            return measure(testName("pp", n, depth), n, reps, tolerance, maxWarmupSeconds, progress, () -> c.prompt(n));
        }
    }

    public Row generate(int n, int depth, int reps, double tolerance, double maxWarmupSeconds, PrintStream progress) {
        try (Context c = new Context(depth, n, progress)) {
            return measure(
                    testName("tg", n, depth), n, reps, tolerance, maxWarmupSeconds, progress, () -> c.generate(n));
        }
    }

    private Row measure(
            String test,
            int tokens,
            int reps,
            double tolerance,
            double maxWarmupSeconds,
            PrintStream progress,
            java.util.function.LongSupplier once) {
        Settle settle = new Settle(1, tolerance, Integer.MAX_VALUE);
        long start = System.nanoTime();
        int warm = 0;
        JitActivity jit = new JitActivity();
        do {
            jit.busy();
            double ts = tokens * 1e9 / once.getAsLong();
            // The compile queue only: a decoder step allocates on the heap by design (the step's
            // input map, the logits array), so the encoder's allocation test would never pass.
            boolean compiling = jit.busy();
            warm++;
            progress.printf(
                    "[bench] %s threads=%d warm-up %d: %.2f t/s%s%n",
                    test, threads, warm, ts, compiling ? " (JIT not done)" : "");
            if (settle.add(ts, compiling) || (System.nanoTime() - start) / 1e9 > maxWarmupSeconds) {
                break;
            }
        } while (true);
        double[] ts = new double[reps];
        for (int r = 0; r < reps; r++) {
            ts[r] = tokens * 1e9 / once.getAsLong();
            progress.printf("[bench] %s threads=%d rep %d/%d: %.2f t/s%n", test, threads, r + 1, reps, ts[r]);
        }
        return new Row(test, threads, Stats.of(ts), warm, settle.settled());
    }

    /**
     * One test's cache: {@code depth} random tokens prefilled once, and room for {@code tokens} more;
     * every run starts from those {@code depth} tokens.
     */
    private final class Context implements AutoCloseable {
        private final KvCache cache;
        private final Decoder decoder;
        private final int depth;
        private final float[] logits = new float[config.vocab()];

        Context(int depth, int tokens, PrintStream progress) {
            int block = config.layout().blockSize();
            this.cache = new KvCache(config.layout(), (depth + tokens + block - 1) / block + 1, 1, config.maxContext());
            this.decoder = new Decoder(model, config, cache);
            this.depth = depth;
            if (depth > 0) {
                progress.printf("[bench] threads=%d: prefilling a context of %d tokens%n", threads, depth);
                append(depth);
            }
        }

        /** Nanoseconds to prefill {@code n} random tokens after the context. */
        long prompt(int n) {
            cache.truncate(0, depth);
            return append(n);
        }

        /** Nanoseconds to prefill {@code n} random tokens after what the cache holds. */
        private long append(int n) {
            int chunk = config.maxBatchTokens();
            int[][] toks = new int[(n + chunk - 1) / chunk][];
            for (int c = 0, from = 0; from < n; c++, from += chunk) {
                int len = Math.min(chunk, n - from);
                toks[c] = new int[len];
                for (int i = 0; i < len; i++) {
                    toks[c][i] = rnd.nextInt(config.vocab());
                }
            }
            long t0 = System.nanoTime();
            for (int[] tok : toks) {
                int len = tok.length;
                int[] pos = new int[len];
                int start = cache.append(0, len);
                for (int i = 0; i < len; i++) {
                    pos[i] = start + i;
                }
                decoder.step(tok, pos, new int[len], new int[] {len - 1});
            }
            return System.nanoTime() - t0;
        }

        /** Nanoseconds to decode {@code n} tokens one by one after the context. */
        long generate(int n) {
            cache.truncate(0, depth);
            int[] tok = {rnd.nextInt(config.vocab())};
            int[] pos = new int[1];
            int[] seq = {0};
            int[] row = {0};
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                pos[0] = cache.append(0, 1);
                decoder.step(tok, pos, seq, row, logits); // into one array: a decode step allocates nothing
                tok[0] = rnd.nextInt(config.vocab());
            }
            return System.nanoTime() - t0;
        }

        @Override
        public void close() {
            cache.close();
        }
    }
}
