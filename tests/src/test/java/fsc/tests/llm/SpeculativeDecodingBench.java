package fsc.tests.llm;

import fsc.cli.ArtifactLoader;
import fsc.runtime.CompiledModel;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.Generation;
import fsc.runtime.llm.Generator;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.SamplingParams;
import fsc.runtime.llm.Speculation;
import fsc.runtime.llm.SpeculativeGenerator;
import fsc.runtime.llm.SpeculativeGenerator.Mode;
import fsc.runtime.llm.TextCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Does speculative decoding pay for a draft/target pair on this CPU? In one JVM, after warm-up
 * generations (the verification's multi-token steps run code a one-token decode never warms), it
 * alternates plain greedy decoding with speculation at each {@code k} ({@code always}) and with
 * {@code auto}, and prints decode tok/s (median [min, max] over the rounds), the acceptance rate,
 * tokens per target step and the cost model's predicted speed-up. A benchmark: it asserts nothing.
 *
 * <p>Run: {@code ./mvnw -B -Pbench -pl tests -am test -Dtest=SpeculativeDecodingBench
 * -Dsurefire.failIfNoSpecifiedTests=false [-Dfsc.bench.spec.target=T.jar|T.gguf
 * -Dfsc.bench.spec.draft=D.jar|D.gguf -Dfsc.bench.spec.tokens=128 -Dfsc.bench.spec.k=2,4
 * -Dfsc.bench.spec.rounds=5 -Dfsc.bench.threads=1]}; the default pair is stories260K (F32)
 * with its Q8_0 twin as the draft.
 */
@Tag("bench")
class SpeculativeDecodingBench {
    @Test
    void speculationAgainstPlainDecoding() {
        Path target = model(System.getProperty("fsc.bench.spec.target", "stories260K.gguf"));
        Path draft = model(System.getProperty("fsc.bench.spec.draft", "stories260K-Q8_0.gguf"));
        int tokens = Integer.getInteger("fsc.bench.spec.tokens", 128);
        int rounds = Integer.getInteger("fsc.bench.spec.rounds", 5);
        int warmup = Integer.getInteger("fsc.bench.spec.warmup", 3);
        int threads = Integer.getInteger("fsc.bench.threads", 1);
        int[] ks = Arrays.stream(System.getProperty("fsc.bench.spec.k", "2,4").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        String prompt = System.getProperty("fsc.bench.spec.prompt", "Once upon a time");
        try (CompiledModel t = ArtifactLoader.open(target, threads);
                CompiledModel d = ArtifactLoader.open(draft, threads)) {
            LlmConfig tc = LlmConfig.load(t.getClass().getClassLoader());
            LlmConfig dc = LlmConfig.load(d.getClass().getClassLoader());
            int context = Math.min(tc.maxContext(), dc.maxContext());
            TextCodec codec = new TextCodec(tc.tokenizer());
            int[] ids = codec.encode(prompt);
            try (KvCache tcache = cache(tc, context);
                    KvCache dcache = cache(dc, context)) {
                Decoder td = new Decoder(t, tc, tcache);
                Decoder dd = new Decoder(d, dc, dcache);
                Map<String, Run> runs = new LinkedHashMap<>();
                runs.put("plain", () -> new Generator(td, codec)
                        .generate(ids, tokens, SamplingParams.greedy(), s -> {}, false));
                for (int k : ks) {
                    runs.put("always k=" + k, () -> new SpeculativeGenerator(td, dd, codec, k, Mode.ALWAYS)
                            .generate(ids, tokens, SamplingParams.greedy(), s -> {}));
                }
                int kAuto = ks[ks.length - 1];
                runs.put("auto k=" + kAuto, () -> new SpeculativeGenerator(td, dd, codec, kAuto, Mode.AUTO)
                        .generate(ids, tokens, SamplingParams.greedy(), s -> {}));
                for (int i = 0; i < warmup; i++) {
                    runs.values().forEach(Run::generate);
                }
                Map<String, List<Generation>> results = new LinkedHashMap<>();
                for (int r = 0; r < rounds; r++) {
                    for (Map.Entry<String, Run> e : runs.entrySet()) {
                        results.computeIfAbsent(e.getKey(), x -> new ArrayList<>())
                                .add(e.getValue().generate());
                    }
                }
                System.out.println(table(target, draft, threads, tokens, results));
            }
        }
    }

    private interface Run {
        Generation generate();
    }

    private static String table(Path target, Path draft, int threads, int tokens, Map<String, List<Generation>> r) {
        double plain = median(r.get("plain"));
        StringBuilder md = new StringBuilder(String.format(
                Locale.ROOT,
                "target %s, draft %s, %d thread(s), %d tokens greedy, %d rounds\n\n"
                        + "| mode | decode tok/s median [min, max] | vs plain | acceptance | tokens per target step |"
                        + " predicted speed-up |\n|---|---|---|---|---|---|\n",
                target.getFileName(),
                draft.getFileName(),
                threads,
                tokens,
                r.get("plain").size()));
        for (Map.Entry<String, List<Generation>> e : r.entrySet()) {
            double[] tps = e.getValue().stream()
                    .mapToDouble(g -> g.timings().decodeTokensPerSecond())
                    .sorted()
                    .toArray();
            Generation last = e.getValue().getLast();
            Speculation s = last.speculation();
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %.1f [%.1f, %.1f] | %.2fx | %s | %s | %s |\n",
                    e.getKey(),
                    median(e.getValue()),
                    tps[0],
                    tps[tps.length - 1],
                    median(e.getValue()) / plain,
                    s == null ? "" : String.format(Locale.ROOT, "%.2f", s.acceptanceRate()),
                    s == null
                            ? "1"
                            : String.format(Locale.ROOT, "%.2f", s.tokensPerTargetStep(last.generatedIds().length)),
                    s == null || Double.isNaN(s.predictedSpeedup())
                            ? ""
                            : String.format(Locale.ROOT, "%.2fx", s.predictedSpeedup())));
        }
        return md.toString();
    }

    private static double median(List<Generation> g) {
        double[] v = g.stream()
                .mapToDouble(x -> x.timings().decodeTokensPerSecond())
                .sorted()
                .toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static KvCache cache(LlmConfig c, int context) {
        int blocks = (context + c.layout().blockSize() - 1) / c.layout().blockSize();
        return new KvCache(c.layout(), blocks, 1, context);
    }

    /** A jar as it is, or a .gguf (a test model's file name or a path) compiled once. */
    private static Path model(String name) {
        Path p = Path.of(name);
        if (name.endsWith(".jar")) {
            return p;
        }
        return name.contains("/") ? CompiledDecoders.jar(p) : CompiledDecoders.jar(name);
    }
}
