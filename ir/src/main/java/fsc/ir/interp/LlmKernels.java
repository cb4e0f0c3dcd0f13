package fsc.ir.interp;

/**
 * Reference kernels of the decoder ops ({@code qmatmul}, {@code embedding}, {@code paged_attention})
 * over plain weights, in double. Packed GGUF weights never get here: the interpreter rejects packed
 * constants when it loads them.
 */
final class LlmKernels {
    private LlmKernels() {}

    /** {@code y[..., n] = sum_k x[..., k] * w[n, k]}. */
    static HostTensor qmatmul(Call c) {
        HostTensor x = c.in(0);
        HostTensor w = c.in(1);
        long n = w.shape()[0];
        long k = w.shape()[1];
        long rows = x.size() / k;
        HostTensor y = c.newOutput();
        if (isFloat(x) && isFloat(w)) {
            return floatQmatmul(x, w, y, Math.toIntExact(rows), Math.toIntExact(n), Math.toIntExact(k));
        }
        for (long r = 0; r < rows; r++) {
            for (long j = 0; j < n; j++) {
                double acc = 0;
                for (long i = 0; i < k; i++) {
                    acc += x.getDouble(r * k + i) * w.getDouble(j * k + i);
                }
                y.setDouble(r * n + j, acc);
            }
        }
        return y;
    }

    private static boolean isFloat(HostTensor t) {
        return t.dtype() == fsc.ir.DType.F32 || t.dtype() == fsc.ir.DType.F16 || t.dtype() == fsc.ir.DType.BF16;
    }

    /**
     * The loop above for float operands, read once into arrays and the output columns spread over
     * threads: the same double products summed in the same order, so the same values, but fast
     * enough to run a whole decoder over a few dozen tokens (the GGUF quantization report does).
     */
    private static HostTensor floatQmatmul(HostTensor x, HostTensor w, HostTensor y, int rows, int n, int k) {
        float[] xs = x.toFloatArray();
        float[] ws = w.toFloatArray();
        double[] out = new double[Math.multiplyExact(rows, n)];
        java.util.stream.IntStream.range(0, n).parallel().forEach(j -> {
            int r = 0;
            // Four rows at a time: four independent sums, each still in order of i, hide the add latency.
            for (; r + 4 <= rows; r += 4) {
                double a0 = 0;
                double a1 = 0;
                double a2 = 0;
                double a3 = 0;
                for (int i = 0; i < k; i++) {
                    double wv = ws[j * k + i];
                    a0 += xs[r * k + i] * wv;
                    a1 += xs[(r + 1) * k + i] * wv;
                    a2 += xs[(r + 2) * k + i] * wv;
                    a3 += xs[(r + 3) * k + i] * wv;
                }
                out[r * n + j] = a0;
                out[(r + 1) * n + j] = a1;
                out[(r + 2) * n + j] = a2;
                out[(r + 3) * n + j] = a3;
            }
            for (; r < rows; r++) {
                double acc = 0;
                for (int i = 0; i < k; i++) {
                    acc += xs[r * k + i] * (double) ws[j * k + i];
                }
                out[r * n + j] = acc;
            }
        });
        for (int i = 0; i < out.length; i++) {
            y.setDouble(i, out[i]);
        }
        return y;
    }

    /** Row {@code ids[i]} of the table for every id; an id out of range is a user error naming the node. */
    static HostTensor embedding(Call c) {
        HostTensor table = c.in(0);
        HostTensor ids = c.in(1);
        long vocab = table.shape()[0];
        long dim = table.shape()[1];
        HostTensor y = c.newOutput();
        for (long i = 0; i < ids.size(); i++) {
            long id = ids.getLong(i);
            if (id < 0 || id >= vocab) {
                throw c.fail("token id " + id + " is outside the vocabulary of " + vocab);
            }
            for (long d = 0; d < dim; d++) {
                y.setDouble(i * dim + d, table.getDouble(id * dim + d));
            }
        }
        return y;
    }

    /**
     * Writes every token's k/v into a copy of the cache, then lets each token attend to positions
     * {@code 0..pos} of its sequence. The caller's cache tensor is not changed: the interpreter has
     * no state between runs, so it checks a whole prefill in one call.
     */
    static HostTensor pagedAttention(Call c) {
        HostTensor q = c.in(0);
        HostTensor k = c.in(1);
        HostTensor v = c.in(2);
        HostTensor table = c.in(4);
        HostTensor seqs = c.in(5);
        HostTensor pos = c.in(6);
        long layers = c.node().intAttr("num_layers");
        long layer = c.node().intAttr("layer");
        long bs = c.node().intAttr("block_size");
        long heads = c.node().intAttr("num_heads");
        long kvHeads = c.node().intAttr("num_kv_heads");
        long hd = c.node().intAttr("head_dim");
        long kvd = kvHeads * hd;
        long tokens = q.shape()[0];
        long numBlocks = c.in(3).shape()[0];
        long width = table.shape()[1];
        double[] cache = new double[Math.toIntExact(c.in(3).size())];
        for (int i = 0; i < cache.length; i++) {
            cache[i] = c.in(3).getDouble(i);
        }
        long blockFloats = layers * 2 * bs * kvd;
        long[] kBase = new long[Math.toIntExact(tokens)];
        for (int t = 0; t < tokens; t++) {
            long s = seqs.getLong(t);
            long p = pos.getLong(t);
            if (s < 0 || s >= table.shape()[0] || p < 0 || p / bs >= width) {
                throw c.fail("token " + t + " (sequence " + s + ", position " + p + ") is outside the block table");
            }
            long b = table.getLong(s * width + p / bs);
            if (b < 0 || b >= numBlocks) {
                throw c.fail("block " + b + " of sequence " + s + " is outside the cache of " + numBlocks + " blocks");
            }
            kBase[t] = b * blockFloats + layer * 2 * bs * kvd + (p % bs) * kvd;
            for (long d = 0; d < kvd; d++) {
                cache[Math.toIntExact(kBase[t] + d)] = k.getDouble(t * kvd + d);
                cache[Math.toIntExact(kBase[t] + bs * kvd + d)] = v.getDouble(t * kvd + d);
            }
        }
        double scale = 1.0 / Math.sqrt(hd);
        HostTensor out = c.newOutput();
        for (long t = 0; t < tokens; t++) {
            long s = seqs.getLong(t);
            int len = Math.toIntExact(pos.getLong(t) + 1);
            for (long h = 0; h < heads; h++) {
                long kvh = h / (heads / kvHeads);
                double[] scores = new double[len];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    long base = slot(table, s, j, width, bs, blockFloats, layer, kvd) + kvh * hd;
                    double dot = 0;
                    for (long d = 0; d < hd; d++) {
                        dot += q.getDouble(t * heads * hd + h * hd + d) * cache[Math.toIntExact(base + d)];
                    }
                    scores[j] = dot * scale;
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < len; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (long d = 0; d < hd; d++) {
                    double acc = 0;
                    for (int j = 0; j < len; j++) {
                        long base = slot(table, s, j, width, bs, blockFloats, layer, kvd) + bs * kvd + kvh * hd;
                        acc += scores[j] / sum * cache[Math.toIntExact(base + d)];
                    }
                    out.setDouble(t * heads * hd + h * hd + d, acc);
                }
            }
        }
        return out;
    }

    /** Float offset of position {@code p}'s key row in sequence {@code s}, layer {@code layer}. */
    private static long slot(
            HostTensor table, long s, long p, long width, long bs, long blockFloats, long layer, long kvd) {
        long b = table.getLong(s * width + p / bs);
        return b * blockFloats + layer * 2 * bs * kvd + (p % bs) * kvd;
    }
}
