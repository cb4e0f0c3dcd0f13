package fsc.frontend.gguf.arch;

import fsc.ir.FscException;

/**
 * Compile-time bounds of a decoder graph. They size the rope tables and bound the graph's symbols,
 * so every buffer the compiled step allocates is bounded by them.
 *
 * @param maxContext positions one sequence may reach (0: the model's trained context, capped at 4096)
 * @param maxBatchTokens tokens one step may hold (a prefill chunk)
 * @param maxSequences sequences one step may mix
 * @param blockSize positions per KV cache block
 */
public record DecoderOptions(int maxContext, int maxBatchTokens, int maxSequences, int blockSize) {
    /** Upper bound of the cache's block count symbol; the run-time budget is usually far lower. */
    public static final long MAX_BLOCKS = 1L << 24;

    public DecoderOptions {
        if (maxContext < 0 || maxBatchTokens < 1 || maxSequences < 1 || blockSize < 1) {
            throw new FscException("decoder bounds must be positive: --max-context " + maxContext
                    + ", --max-batch-tokens " + maxBatchTokens + ", sequences " + maxSequences + ", block "
                    + blockSize);
        }
    }

    public static DecoderOptions defaults() {
        return new DecoderOptions(0, 512, 16, 16);
    }

    public DecoderOptions withMaxContext(int n) {
        return new DecoderOptions(n, maxBatchTokens, maxSequences, blockSize);
    }

    public DecoderOptions withMaxBatchTokens(int n) {
        return new DecoderOptions(maxContext, n, maxSequences, blockSize);
    }

    /** The context the graph is built for, given the model's trained context. */
    int context(int trained) {
        return maxContext > 0 ? maxContext : Math.min(trained, 4096);
    }
}
