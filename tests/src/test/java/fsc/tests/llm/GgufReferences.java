package fsc.tests.llm;

import fsc.runtime.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code ../shared/data/gguf/references.jsonl}: llama.cpp's greedy outputs for the GGUF test models.
 * Missing data fails the test (it never skips).
 */
record GgufReferences(
        String model,
        String prompt,
        int[] promptIds,
        int maxTokens,
        int[] generatedIds,
        String text,
        List<TopLogits> top) {

    /** The 8 largest logits of one generated step, as {@code [token, logit]} pairs. */
    record TopLogits(int step, int[] ids, double[] logits) {}

    static Path dir() {
        Path d = Path.of(System.getProperty("user.dir"))
                .resolve("../../shared/data/gguf")
                .normalize();
        if (!Files.isDirectory(d)) {
            d = Path.of("/work/shared/data/gguf");
        }
        if (!Files.isDirectory(d)) {
            throw new IllegalStateException("test data ../shared/data/gguf is missing");
        }
        return d;
    }

    static Path model(String file) {
        Path p = dir().resolve(file);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("test model " + p + " is missing");
        }
        return p;
    }

    static List<GgufReferences> forModel(String file) {
        List<GgufReferences> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(dir().resolve("references.jsonl"))) {
                if (line.isBlank()) {
                    continue;
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) Json.parse(line);
                if (!m.get("model").equals(file)) {
                    continue;
                }
                List<TopLogits> top = new ArrayList<>();
                for (Object o : (List<?>) m.get("top_logits")) {
                    Map<?, ?> t = (Map<?, ?>) o;
                    List<?> pairs = (List<?>) t.get("top");
                    int[] ids = new int[pairs.size()];
                    double[] logits = new double[pairs.size()];
                    for (int i = 0; i < ids.length; i++) {
                        List<?> pair = (List<?>) pairs.get(i);
                        ids[i] = ((Number) pair.get(0)).intValue();
                        logits[i] = ((Number) pair.get(1)).doubleValue();
                    }
                    top.add(new TopLogits(((Number) t.get("step")).intValue(), ids, logits));
                }
                out.add(new GgufReferences(
                        file,
                        (String) m.get("prompt"),
                        ints(m.get("prompt_token_ids")),
                        ((Number) m.get("max_tokens")).intValue(),
                        ints(m.get("generated_token_ids")),
                        (String) m.get("text"),
                        top));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("references.jsonl has no entry for " + file);
        }
        return out;
    }

    private static int[] ints(Object o) {
        List<?> l = (List<?>) o;
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ((Number) l.get(i)).intValue();
        }
        return a;
    }
}
