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
        int vocab = Math.toIntExact(emb.dims().get(1));
        int ropeDim = m.getInt(p + "rope.dimension_count", headDim);
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
                m.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f),
                m.getFloat(p + "rope.freq_base", 10000f),
                ropeDim,
                m.getInt(p + "context_length", 2048));
    }

    private static int positive(GgufFile f, int v, String key) {
        if (v < 1) {
            throw new FscException(f.label() + ": metadata " + key + " must be positive, got " + v);
        }
        return v;
    }
}
