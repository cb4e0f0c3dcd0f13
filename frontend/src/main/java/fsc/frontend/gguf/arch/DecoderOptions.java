package fsc.frontend.gguf.arch;

import fsc.ir.DType;
import fsc.ir.FscException;

/**
 * Compile-time bounds and numerics of a decoder graph. The bounds size the rope tables and bound the
 * graph's symbols, so every buffer the compiled step allocates is bounded by them.
 *
 * @param maxContext positions one sequence may reach (0: the model's trained context, capped at 4096)
 * @param maxBatchTokens tokens one step may hold (a prefill chunk)
 * @param maxSequences sequences one step may mix
 * @param blockSize positions per KV cache block
 * @param numerics how the step rounds ({@link DecoderNumerics#LLAMA_CPP} needs an f16 cache)
 * @param kvType element type of the KV cache: F32, or F16 for half the memory
 */
public record DecoderOptions(
        int maxContext, int maxBatchTokens, int maxSequences, int blockSize, DecoderNumerics numerics, DType kvType) {
    /** Upper bound of the cache's block count symbol; the run-time budget is usually far lower. */
    public static final long MAX_BLOCKS = 1L << 24;

    public DecoderOptions {
        if (maxContext < 0 || maxBatchTokens < 1 || maxSequences < 1 || blockSize < 1) {
            throw new FscException("decoder bounds must be positive: --max-context " + maxContext
                    + ", --max-batch-tokens " + maxBatchTokens + ", sequences " + maxSequences + ", block "
                    + blockSize);
        }
        if (kvType != DType.F32 && kvType != DType.F16) {
            throw new FscException("the KV cache holds f32 or f16, not " + kvType, "use --kv-cache f32 or f16");
        }
        if (numerics == DecoderNumerics.LLAMA_CPP && kvType != DType.F16) {
            throw new FscException(
                    "--numerics llama-cpp keeps the KV cache in f16 as llama.cpp does",
                    "leave --kv-cache out or set it to f16");
        }
    }

    /** f32 numerics and an f32 cache. */
    public DecoderOptions(int maxContext, int maxBatchTokens, int maxSequences, int blockSize) {
        this(maxContext, maxBatchTokens, maxSequences, blockSize, DecoderNumerics.F32, DType.F32);
    }

    public static DecoderOptions defaults() {
        return new DecoderOptions(0, 512, 16, 16);
    }

    public DecoderOptions withMaxContext(int n) {
        return new DecoderOptions(n, maxBatchTokens, maxSequences, blockSize, numerics, kvType);
    }

    public DecoderOptions withMaxBatchTokens(int n) {
        return new DecoderOptions(maxContext, n, maxSequences, blockSize, numerics, kvType);
    }

    /** {@code n}, with the cache type it implies: f16 for llama.cpp numerics, else unchanged. */
    public DecoderOptions withNumerics(DecoderNumerics n) {
        return new DecoderOptions(
                maxContext,
                maxBatchTokens,
                maxSequences,
                blockSize,
                n,
                n == DecoderNumerics.LLAMA_CPP ? DType.F16 : kvType);
    }

    public DecoderOptions withKvType(DType t) {
        return new DecoderOptions(maxContext, maxBatchTokens, maxSequences, blockSize, numerics, t);
    }

    /** The context the graph is built for, given the model's trained context. */
    int context(int trained) {
        return maxContext > 0 ? maxContext : Math.min(trained, 4096);
    }
}
