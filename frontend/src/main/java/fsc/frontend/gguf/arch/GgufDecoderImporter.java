package fsc.frontend.gguf.arch;

import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufTokenizerData;
import fsc.ir.Graph;

/**
 * Entry point for GGUF decoders: reads the hyper-parameters, builds the step graph for the
 * architecture in {@code general.architecture} and extracts the tokenizer. The graph's weights view
 * the file's mapping, so the {@link GgufFile} must stay open until the graph has been compiled.
 */
public final class GgufDecoderImporter {
    private GgufDecoderImporter() {}

    /** What an import produced: the graph, the parameters it was built from, and the vocabulary. */
    public record Imported(
            Graph graph, DecoderParams params, DecoderOptions options, int context, GgufTokenizerData tokenizer) {}

    public static Imported importModel(GgufFile file, DecoderOptions options) {
        DecoderParams params = DecoderParams.read(file);
        GgufTokenizerData tokenizer = GgufTokenizerData.of(file);
        if (tokenizer.tokens().size() != params.vocab()) {
            throw new fsc.ir.FscException(file.label() + ": the tokenizer has "
                    + tokenizer.tokens().size() + " tokens, token_embd.weight " + params.vocab() + " rows");
        }
        String name =
                file.metadata().getString("general.name", params.arch().name()).replaceAll("[^A-Za-z0-9_.]+", "_");
        DecoderGraphBuilder b = new DecoderGraphBuilder(file, params, options, name);
        Graph g = b.build();
        return new Imported(g, params, options, b.context(), tokenizer);
    }
}
