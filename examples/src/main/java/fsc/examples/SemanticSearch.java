package fsc.examples;

import fsc.cli.ArtifactLoader;
import fsc.cli.Pooling;
import fsc.cli.Progress;
import fsc.compiler.CompileDriver;
import fsc.compiler.CompileSettings;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.text.WordPieceTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Ranks a few documents against a query with sentence embeddings from an fsc-compiled MiniLM. */
public final class SemanticSearch {
    static final List<String> DOCUMENTS = List.of(
            "fsc compiles ONNX models into a single jar that runs without the compiler.",
            "The paged KV cache hands out fixed-size blocks from a free list.",
            "Ship the jar and a jlinked Java runtime to an edge device and run it there.",
            "ONNX Runtime is the oracle the tests compare against.",
            "Bread is made from flour, water, salt and yeast.");

    private SemanticSearch() {}

    public static void main(String[] args) throws Exception {
        String query = args.length > 0 ? String.join(" ", args) : "how do I run a model on a small device?";
        Path models = Path.of("models");
        Path onnx = models.resolve("all-minilm-l6-v2.onnx");
        if (!Files.isRegularFile(onnx)) {
            System.err.println("models/all-minilm-l6-v2.onnx is missing: run ./fsc demo once from the repository root");
            System.exit(2);
        }
        Path jar = Path.of("target", "minilm.jar");
        if (!Files.isRegularFile(jar)) {
            Files.createDirectories(jar.getParent());
            CompileDriver.compile(CompileSettings.builder(onnx, jar).build(), new Progress(System.err, false));
        }
        WordPieceTokenizer tokenizer = WordPieceTokenizer.fromJson(models.resolve("all-minilm-l6-v2-tokenizer.json"));
        List<String> texts = new ArrayList<>(DOCUMENTS);
        texts.add(query);
        var enc = tokenizer.encodeBatch(texts, 128);
        CompiledModel model = ArtifactLoader.open(jar, 1);
        Tensor tokens = model.run(Map.of(
                        "input_ids", enc.inputIds(),
                        "attention_mask", enc.attentionMask(),
                        "token_type_ids", enc.tokenTypeIds()))
                .get("output_0");
        model.close();
        float[][] emb = Pooling.meanNormalized(tokens, enc.attentionMask());
        float[] q = emb[texts.size() - 1];
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < DOCUMENTS.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble(i -> -Pooling.dot(q, emb[i])));
        System.out.println("query: " + query);
        for (int i : order) {
            System.out.printf("  %.3f  %s%n", Pooling.dot(q, emb[i]), DOCUMENTS.get(i));
        }
    }
}
