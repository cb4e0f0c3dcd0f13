package fsc.examples;

import fsc.runtime.CompiledModel;
import fsc.runtime.ModelJar;
import fsc.runtime.serve.Embedder;
import fsc.runtime.text.WordPieceTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Ranks a few documents against a query with sentence embeddings from an fsc-compiled MiniLM. It
 * uses only {@code fsc.runtime}: the compiled jar, the tokenizer and this class are all an edge
 * device needs.
 *
 * <p>Usage: {@code SemanticSearch MODEL.jar TOKENIZER.json [QUERY...]}.
 */
public final class SemanticSearch {
    static final List<String> DOCUMENTS = List.of(
            "fsc compiles ONNX models into a single jar that runs without the compiler.",
            "The paged KV cache hands out fixed-size blocks from a free list.",
            "Ship the jar and a jlinked Java runtime to an edge device and run it there.",
            "ONNX Runtime is the oracle the tests compare against.",
            "Bread is made from flour, water, salt and yeast.");

    private SemanticSearch() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: SemanticSearch MODEL.jar TOKENIZER.json [QUERY...]"
                    + " (compile the jar with: ./fsc compile models/all-minilm-l6-v2.onnx -o minilm.jar)");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        Path tokenizerJson = Path.of(args[1]);
        for (Path p : List.of(jar, tokenizerJson)) {
            if (!Files.isRegularFile(p)) {
                System.err.println("error: " + p + ": no such file");
                System.exit(2);
            }
        }
        String query = args.length > 2
                ? String.join(" ", Arrays.asList(args).subList(2, args.length))
                : "how do I run a model on a small device?";
        List<String> texts = new ArrayList<>(DOCUMENTS);
        texts.add(query);
        float[][] emb;
        // The embeddings are computed while the model is open: its outputs live in the model's
        // arena, which closing it frees.
        try (CompiledModel model = ModelJar.open(jar, 1)) {
            emb = new Embedder(model, WordPieceTokenizer.fromJson(tokenizerJson), 128).embed(texts);
        }
        float[] q = emb[texts.size() - 1];
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < DOCUMENTS.size(); i++) {
            order.add(i);
        }
        // The embeddings are L2-normalised, so the dot product is the cosine similarity.
        order.sort(Comparator.comparingDouble(i -> -dot(q, emb[i])));
        System.out.println("query: " + query);
        for (int i : order) {
            System.out.printf("  %.3f  %s%n", dot(q, emb[i]), DOCUMENTS.get(i));
        }
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
