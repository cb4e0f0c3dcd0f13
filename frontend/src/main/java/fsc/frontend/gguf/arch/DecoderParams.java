package fsc.frontend.gguf.arch;

import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufMetadata;
import fsc.frontend.gguf.GgufTensorInfo;
import fsc.ir.FscException;

/**
 * Hyper-parameters of a LLaMA-family decoder, read from GGUF metadata under the architecture's
 * prefix ({@code llama.embedding_length}, ...), with llama.cpp's defaults where a key is optional.
 */
public record DecoderParams(
        ArchitectureTraits arch,
        int vocab,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int ffn,
        float rmsEps,
        float ropeBase,
        int ropeDim,
        int trainedContext) {

    public static DecoderParams read(GgufFile f) {
        GgufMetadata m = f.metadata();
        String where = f.label();
        ArchitectureTraits arch = ArchitectureTraits.of(m.getString("general.architecture"), where);
        String p = arch.name() + ".";
        int dim = positive(f, m.getInt(p + "embedding_length"), p + "embedding_length");
        int layers = positive(f, m.getInt(p + "block_count"), p + "block_count");
        int heads = positive(f, m.getInt(p + "attention.head_count"), p + "attention.head_count");
        int kvHeads = positive(f, m.getInt(p + "attention.head_count_kv", heads), p + "attention.head_count_kv");
        if (dim % heads != 0 || heads % kvHeads != 0) {
            throw new FscException(where + ": " + heads + " heads do not divide the embedding " + dim
                    + " or are not a multiple of " + kvHeads + " KV heads");
        }
        int headDim = positive(f, m.getInt(p + "attention.key_length", dim / heads), p + "attention.key_length");
        int ffn = positive(f, m.getInt(p + "feed_forward_length"), p + "feed_forward_length");
        GgufTensorInfo emb = f.tensor("token_embd.weight");
        if (emb.dims().size() != 2 || emb.dims().get(0) != dim) {
            throw new FscException(where + ": token_embd.weight has dims " + emb.dims() + ", expected [" + dim
                    + ", vocab] (ggml order)");
        }
        long vocabDim = emb.dims().get(1);
        if (vocabDim < 1 || vocabDim > MAX_VOCAB) {
            throw new FscException(where + ": token_embd.weight has a vocabulary of " + vocabDim
                    + " tokens; expected 1 to " + MAX_VOCAB);
        }
        int vocab = (int) vocabDim;
        atMost(f, dim, MAX_DIM, p + "embedding_length");
        atMost(f, layers, MAX_LAYERS, p + "block_count");
        atMost(f, heads, dim, p + "attention.head_count");
        atMost(f, headDim, MAX_DIM, p + "attention.key_length");
        atMost(f, ffn, MAX_FFN, p + "feed_forward_length");
        int ropeDim = positive(f, m.getInt(p + "rope.dimension_count", headDim), p + "rope.dimension_count");
        if (ropeDim % 2 != 0 || ropeDim > headDim) {
            throw new FscException(
                    where + ": rope.dimension_count " + ropeDim + " must be even and at most " + headDim);
        }
        return new DecoderParams(
                arch,
                vocab,
                dim,
                layers,
                heads,
                kvHeads,
                headDim,
                ffn,
                inRange(
                        f,
                        m.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f),
                        1f,
                        p + "attention.layer_norm_rms_epsilon"),
                inRange(f, m.getFloat(p + "rope.freq_base", 10000f), 1e12f, p + "rope.freq_base"),
                ropeDim,
                atMost(
                        f,
                        positive(f, m.getInt(p + "context_length", 2048), p + "context_length"),
                        MAX_CONTEXT,
                        p + "context_length"));
    }

    /*
     * Sanity bounds on what a file may claim, far above any released model (Llama 3.1 405B: dim
     * 16384, 126 layers, ffn 53248, vocab 128256; the longest contexts are 10M tokens), so a hostile
     * file is refused here rather than sizing buffers from its numbers.
     */
    private static final int MAX_DIM = 1 << 17;
    private static final int MAX_LAYERS = 4096;
    private static final int MAX_FFN = 1 << 20;
    private static final int MAX_VOCAB = 1 << 24;
    private static final int MAX_CONTEXT = 1 << 27;

    /**
     * A float hyper-parameter that is finite and in {@code (0, max]}: an epsilon of +inf or NaN would
     * otherwise reach the generated source as {@code Infinityf} and fail in javac.
     */
    private static float inRange(GgufFile f, float v, float max, String key) {
        if (!(v > 0 && v <= max)) {
            throw new FscException(
                    f.label() + ": metadata " + key + " must be a finite number in (0, " + max + "], got " + v);
        }
        return v;
    }

    private static int atMost(GgufFile f, int v, int max, String key) {
        if (v > max) {
            throw new FscException(f.label() + ": metadata " + key + " is " + v + ", above the sane limit " + max);
        }
        return v;
    }

    private static int positive(GgufFile f, int v, String key) {
        if (v < 1) {
            throw new FscException(f.label() + ": metadata " + key + " must be positive, got " + v);
        }
        return v;
    }
}
