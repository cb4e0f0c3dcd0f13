package fsc.tests.edge;

import fsc.cli.ArtifactLoader;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The models of the vector-width matrix and how one JVM runs them: a plan file lists, one per
 * line, {@code onnx NAME JAR INPUT_DIR} (every {@code .npy} in the folder is an input) or {@code
 * gguf NAME JAR STEPS} (greedy decoding from a fixed prompt); {@link #runAll} writes each output as
 * {@code OUT/NAME/OUTPUT.npy} (a decoder's logits of every step as {@code logits.npy}, its ids as
 * {@code ids.npy}). The parent runs the plan in its own JVM (the machine's widest vectors) and each
 * child runs it at {@code -XX:MaxVectorSize=16} or {@code =32}; {@link VectorWidthMatrixTest}
 * compares the files.
 */
final class WidthModels {
    /** "Once upon a time" in stories260K's vocabulary, as llama.cpp tokenizes it (references.jsonl). */
    static final int[] PROMPT = {1, 403, 407, 261, 378};

    private WidthModels() {}

    static void runAll(Path plan, Path out) throws IOException {
        for (String line : Files.readAllLines(plan)) {
            String[] f = line.strip().split(" ");
            if (f.length != 4) {
                throw new IllegalArgumentException("plan line '" + line + "': expected 4 fields");
            }
            Path dir = Files.createDirectories(out.resolve(f[1]));
            switch (f[0]) {
                case "onnx" -> runEncoder(Path.of(f[2]), Path.of(f[3]), dir);
                case "gguf" -> runDecoder(Path.of(f[2]), Integer.parseInt(f[3]), dir);
                default -> throw new IllegalArgumentException("plan line '" + line + "': unknown kind " + f[0]);
            }
        }
    }

    private static void runEncoder(Path jar, Path inputs, Path dir) throws IOException {
        Map<String, Tensor> in = new TreeMap<>();
        try (Stream<Path> files = Files.list(inputs)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                in.put(name.substring(0, name.length() - ".npy".length()), Npy.read(p));
            }
        }
        try (CompiledModel model = ArtifactLoader.open(jar, 1)) {
            for (var e : model.run(in).entrySet()) {
                Npy.write(dir.resolve(e.getKey() + ".npy"), e.getValue());
            }
        }
    }

    /** Greedy decoding, one token per step after the prompt, through the jar's own {@link Decoder}. */
    private static void runDecoder(Path jar, int steps, Path dir) {
        try (CompiledModel model = ArtifactLoader.open(jar, 1)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            try (KvCache cache = new KvCache(config.layout(), 16, 1, config.maxContext())) {
                Decoder decoder = new Decoder(model, config, cache);
                float[] all = new float[steps * config.vocab()];
                long[] ids = new long[steps];
                int[] tokens = PROMPT;
                for (int step = 0; step < steps; step++) {
                    int start = cache.append(0, tokens.length);
                    int[] positions = new int[tokens.length];
                    for (int i = 0; i < tokens.length; i++) {
                        positions[i] = start + i;
                    }
                    float[] logits =
                            decoder.step(tokens, positions, new int[tokens.length], new int[] {tokens.length - 1});
                    System.arraycopy(logits, 0, all, step * config.vocab(), config.vocab());
                    int best = 0;
                    for (int v = 1; v < logits.length; v++) {
                        if (logits[v] > logits[best]) {
                            best = v;
                        }
                    }
                    ids[step] = best;
                    tokens = new int[] {best};
                }
                Npy.write(dir.resolve("logits.npy"), Tensor.ofFloats(new long[] {steps, config.vocab()}, all));
                Npy.write(dir.resolve("ids.npy"), Tensor.ofLongs(new long[] {steps}, ids));
            }
        }
    }

    /** The names of the outputs a run wrote for {@code model}, sorted. */
    static List<String> outputs(Path runDir, String model) {
        try (Stream<Path> files = Files.list(runDir.resolve(model))) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
