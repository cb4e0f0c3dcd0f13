package fsc.tests.llm;

import fsc.cli.ArtifactLoader;
import fsc.frontend.gguf.GgmlType;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Prefill and decode speed of a synthetic 1B-class LLaMA (dim 2048, 22 layers, GQA 32/4, ffn 5632,
 * vocab 32000; override with {@code -Dfsc.bench.llm.dim=...} etc.) written by {@link
 * SyntheticLlama} in Q8_0 and Q4_0, at 1 and 2 threads, next to the DRAM bound (weight bytes read
 * per token ÷ bandwidth measured here with a vector sum over 1 GiB), and decode speed against the
 * context length. The context sweep fills the cache by reserving positions (zeros): attention
 * costs the same whatever the cached values are. A benchmark, not a test: it asserts nothing.
 *
 * <p>Run: {@code ./mvnw -B -pl tests -am test -Pbench -Dtest=LlamaDecodeBench -Dsurefire.failIfNoSpecifiedTests=false}
 * (prints Markdown; also writes {@code target/bench-llm.md}). {@code -Dfsc.bench.llm.numerics=f32,llama-cpp}
 * compiles each type in both numerics modes; {@code -Dfsc.bench.llm.contexts=128,512} picks the sweep.
 */
@Tag("bench")
class LlamaDecodeBench {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    @Test
    void decodeAndPrefill() throws Exception {
        SyntheticLlama model = new SyntheticLlama(
                Integer.getInteger("fsc.bench.llm.dim", 2048),
                Integer.getInteger("fsc.bench.llm.layers", 22),
                Integer.getInteger("fsc.bench.llm.heads", 32),
                Integer.getInteger("fsc.bench.llm.kvHeads", 4),
                Integer.getInteger("fsc.bench.llm.ffn", 5632),
                Integer.getInteger("fsc.bench.llm.vocab", 32000),
                1);
        int prefill = Integer.getInteger("fsc.bench.llm.prefill", 128);
        int decode = Integer.getInteger("fsc.bench.llm.decode", 16);
        List<String> types =
                List.of(System.getProperty("fsc.bench.llm.types", "Q8_0,Q4_0").split(","));
        // --numerics of each compile: f32, llama-cpp (Q8_K activations for K-quants, f16 cache and attention).
        List<String> numerics =
                List.of(System.getProperty("fsc.bench.llm.numerics", "f32").split(","));
        int[] contexts = java.util.Arrays.stream(System.getProperty("fsc.bench.llm.contexts", "128,512,2048,4096")
                        .split(","))
                .mapToInt(c -> Integer.parseInt(c.trim()))
                .toArray();
        double gbs = bandwidthGBs();
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                Locale.ROOT,
                "model: dim %d, %d layers, heads %d/%d, ffn %d, vocab %d; DRAM read bandwidth %.1f GB/s (vector sum over"
                        + " 1 GiB, 1 thread)\n\n",
                model.dim(),
                model.layers(),
                model.heads(),
                model.kvHeads(),
                model.ffn(),
                model.vocab(),
                gbs));
        md.append("| type | threads | weights MB | prefill tok/s (")
                .append(prefill)
                .append(" tokens) | decode tok/s | DRAM bound tok/s |\n|---|---|---|---|---|---|\n");
        List<String> ctxRows = new ArrayList<>();
        Path dir = Files.createTempDirectory("fsc-bench-llm");
        for (String t : types)
            for (String num : numerics) {
                GgmlType type = GgmlType.valueOf(t.trim());
                String label = num.equals("f32") ? type.name() : type + " " + num;
                Path gguf = dir.resolve("synth-" + type + ".gguf");
                model.write(gguf, name -> type);
                Path jar = dir.resolve("synth-" + type + "-" + num + ".jar");
                fsc.compiler.CompileDriver.compile(
                        fsc.compiler.CompileSettings.builder(gguf, jar)
                                .decoder(new fsc.frontend.gguf.arch.DecoderOptions(4096, prefill, 1, 16)
                                        .withNumerics(fsc.frontend.gguf.arch.DecoderNumerics.byName(num)))
                                .build(),
                        new fsc.cli.Progress(System.err, false));
                Files.delete(gguf);
                for (int threads : new int[] {1, 2}) {
                    try (CompiledModel m = ArtifactLoader.open(jar, threads)) {
                        LlmConfig config = LlmConfig.load(m.getClass().getClassLoader());
                        // Weights read per decoded token: everything but the embedding table (one row of it).
                        long tokenBytes = config.weightBytes() - embeddingBytes(model, type);
                        double[] r = run(m, config, prefill, decode);
                        md.append(String.format(
                                Locale.ROOT,
                                "| %s | %d | %.0f | %.1f | %.2f | %.2f |\n",
                                label,
                                threads,
                                config.weightBytes() / 1e6,
                                r[0],
                                r[1],
                                gbs * 1e9 / tokenBytes));
                        if (threads == 1) {
                            for (int ctx : contexts) {
                                ctxRows.add(String.format(
                                        Locale.ROOT,
                                        "| %s | %d | %.2f |",
                                        label,
                                        ctx,
                                        decodeAt(m, config, ctx, decode)));
                            }
                        }
                    }
                }
            }
        md.append("\n| type | context | decode tok/s (1 thread) |\n|---|---|---|\n");
        ctxRows.forEach(r -> md.append(r).append('\n'));
        System.out.println(md);
        Files.writeString(Path.of("target/bench-llm.md"), md.toString());
    }

    private static long embeddingBytes(SyntheticLlama model, GgmlType type) {
        return type.bytesFor((long) model.vocab() * model.dim());
    }

    /** {prefill tok/s, decode tok/s}, after one warm-up round. */
    private static double[] run(CompiledModel m, LlmConfig config, int prefill, int decode) {
        double[] r = null;
        for (int round = 0; round < 2; round++) {
            try (KvCache cache = new KvCache(config.layout(), (prefill + decode) / 16 + 2, 1, config.maxContext())) {
                Decoder d = new Decoder(m, config, cache);
                int[] tokens = new int[prefill];
                int[] pos = new int[prefill];
                for (int i = 0; i < prefill; i++) {
                    tokens[i] = 300 + i % 1000;
                    pos[i] = i;
                }
                cache.append(0, prefill);
                long t0 = System.nanoTime();
                d.step(tokens, pos, new int[prefill], new int[] {prefill - 1});
                long t1 = System.nanoTime();
                for (int i = 0; i < decode; i++) {
                    int p = cache.append(0, 1);
                    d.step(new int[] {400 + i}, new int[] {p}, new int[] {0}, new int[] {0});
                }
                long t2 = System.nanoTime();
                r = new double[] {prefill * 1e9 / (t1 - t0), decode * 1e9 / (t2 - t1)};
            }
        }
        return r;
    }

    private static double decodeAt(CompiledModel m, LlmConfig config, int context, int decode) {
        try (KvCache cache = new KvCache(config.layout(), (context + decode) / 16 + 2, 1, config.maxContext())) {
            Decoder d = new Decoder(m, config, cache);
            cache.append(0, context - decode);
            // Warm once, then time.
            int p0 = cache.append(0, 1);
            d.step(new int[] {400}, new int[] {p0}, new int[] {0}, new int[] {0});
            long t0 = System.nanoTime();
            for (int i = 0; i < decode - 1; i++) {
                int p = cache.append(0, 1);
                d.step(new int[] {401 + i}, new int[] {p}, new int[] {0}, new int[] {0});
            }
            return (decode - 1) * 1e9 / (System.nanoTime() - t0);
        }
    }

    /** Read bandwidth in GB/s: a vector sum over 1 GiB, best of 5. */
    static double bandwidthGBs() {
        long bytes = 1L << 30;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(bytes, 64);
            s.fill((byte) 1);
            double best = 0;
            float sink = 0;
            for (int r = 0; r < 5; r++) {
                long t0 = System.nanoTime();
                FloatVector acc = FloatVector.zero(F);
                for (long off = 0; off < bytes; off += F.vectorByteSize()) {
                    acc = acc.add(FloatVector.fromMemorySegment(F, s, off, ByteOrder.LITTLE_ENDIAN));
                }
                sink += acc.reduceLanes(VectorOperators.ADD);
                best = Math.max(best, bytes / ((System.nanoTime() - t0) / 1e9) / 1e9);
            }
            if (sink == 42) {
                System.err.print("");
            }
            return best;
        }
    }
}
