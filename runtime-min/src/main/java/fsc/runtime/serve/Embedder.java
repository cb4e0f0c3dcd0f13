package fsc.runtime.serve;

import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.text.WordPieceTokenizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sentence embeddings from a compiled ONNX encoder (BERT family): WordPiece, one run over the
 * padded batch, then the mean of the token vectors under the attention mask, L2-normalised (as
 * sentence-transformers pools MiniLM). One run at a time: a compiled model owns one arena.
 */
public final class Embedder {
    private final CompiledModel model;
    private final WordPieceTokenizer tokenizer;
    private final int maxLength;

    public Embedder(CompiledModel model, WordPieceTokenizer tokenizer, int maxLength) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
    }

    public synchronized float[][] embed(List<String> texts) {
        WordPieceTokenizer.Encoding enc = tokenizer.encodeBatch(texts, maxLength);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (String name : model.inputNames()) {
            switch (name) {
                case "input_ids" -> in.put(name, enc.inputIds());
                case "attention_mask" -> in.put(name, enc.attentionMask());
                case "token_type_ids" -> in.put(name, enc.tokenTypeIds());
                default ->
                    throw new fsc.runtime.RuntimeFailure("the encoder has an input '" + name
                            + "'; an embedding model takes input_ids, attention_mask" + " and token_type_ids");
            }
        }
        Tensor tokens = model.run(in).values().iterator().next();
        return meanNormalized(tokens, enc.attentionMask());
    }

    /** Token count of {@code text} with [CLS] and [SEP]. */
    public int tokens(String text) {
        return tokenizer.encode(text, Integer.MAX_VALUE).length;
    }

    static float[][] meanNormalized(Tensor tokens, Tensor mask) {
        int batch = (int) tokens.shape()[0];
        int seq = (int) tokens.shape()[1];
        int dim = (int) tokens.shape()[2];
        float[] t = tokens.toFloatArray();
        long[] m = mask.toLongArray();
        float[][] out = new float[batch][dim];
        for (int b = 0; b < batch; b++) {
            int count = 0;
            for (int s = 0; s < seq; s++) {
                if (m[b * seq + s] != 0) {
                    count++;
                    for (int d = 0; d < dim; d++) {
                        out[b][d] += t[(b * seq + s) * dim + d];
                    }
                }
            }
            double norm = 0;
            for (int d = 0; d < dim; d++) {
                out[b][d] /= Math.max(count, 1);
                norm += out[b][d] * out[b][d];
            }
            float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
            for (int d = 0; d < dim; d++) {
                out[b][d] *= inv;
            }
        }
        return out;
    }
}
