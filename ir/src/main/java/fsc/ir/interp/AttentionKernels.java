package fsc.ir.interp;

import fsc.ir.DType;
import fsc.ir.ops.AttentionLayout;

/** Reference attention and rotary embedding, in double, one query row at a time. */
final class AttentionKernels {
    private AttentionKernels() {}

    /**
     * softmax(q·kᵀ·scale [softcapped] + mask [+ causal]) · v. With {@code causal = "upper_left"}
     * query i sees key j when {@code j <= i}; with {@code "lower_right"} when {@code j <= i + Skv -
     * Sq}, for keys that start with a cache of past tokens (ONNX with past_key). A row with every key
     * masked gives zeros, as ONNX's reference does, rather than NaN. {@code layout}'s bits say which
     * operands are sequence-major ({@link AttentionLayout}).
     */
    static HostTensor attention(Call c) {
        HostTensor q = c.in(0);
        HostTensor k = c.in(1);
        HostTensor v = c.in(2);
        HostTensor mask = c.in().size() > 3 ? c.in(3) : null;
        long[] qs = q.shape();
        long[] ks = k.shape();
        long[] vs = v.shape();
        long layout = c.node().has("layout") ? c.node().intAttr("layout") : 0;
        boolean qSeq = (layout & AttentionLayout.Q_SEQ_MAJOR) != 0;
        boolean kSeq = (layout & AttentionLayout.K_SEQ_MAJOR) != 0;
        boolean vSeq = (layout & AttentionLayout.V_SEQ_MAJOR) != 0;
        boolean oSeq = (layout & AttentionLayout.OUT_SEQ_MAJOR) != 0;
        long batch = qs[0];
        long hq = qSeq ? qs[2] : qs[1];
        long sq = qSeq ? qs[1] : qs[2];
        long d = qs[3];
        long hkv = kSeq ? ks[2] : ks[1];
        long skv = kSeq ? ks[1] : ks[2];
        long dv = vs[3];
        long group = hq / hkv;
        double scale = c.node().has("scale") ? c.node().floatAttr("scale") : 1 / Math.sqrt(d);
        double softcap = c.node().floatAttr("softcap");
        String causal = c.node().strAttr("causal");
        long offset =
                switch (causal) {
                    case "upper_left" -> 0;
                    case "lower_right" -> skv - sq;
                    default -> Long.MAX_VALUE / 2;
                };
        long[] scoreShape = {batch, hq, sq, skv};
        long[] maskShape = mask == null ? null : mask.shape();
        boolean boolMask = mask != null && mask.dtype() == DType.BOOL;
        HostTensor out = c.newOutput();
        double[] scores = new double[(int) skv];
        for (long b = 0; b < batch; b++) {
            for (long h = 0; h < hq; h++) {
                long kvHead = h / group;
                for (long i = 0; i < sq; i++) {
                    long qBase = row(qSeq, b, h, i, hq, sq) * d;
                    double max = Double.NEGATIVE_INFINITY;
                    for (long j = 0; j < skv; j++) {
                        long kBase = row(kSeq, b, kvHead, j, hkv, skv) * d;
                        double dot = 0;
                        for (long e = 0; e < d; e++) {
                            dot += q.getDouble(qBase + e) * k.getDouble(kBase + e);
                        }
                        double s = dot * scale;
                        if (softcap > 0) {
                            s = softcap * Math.tanh(s / softcap);
                        }
                        if (mask != null) {
                            long flat = ((b * hq + h) * sq + i) * skv + j;
                            long mi = Index.broadcast(scoreShape, maskShape, flat);
                            s += boolMask ? (mask.getLong(mi) != 0 ? 0 : Double.NEGATIVE_INFINITY) : mask.getDouble(mi);
                        }
                        if (j > i + offset) {
                            s = Double.NEGATIVE_INFINITY;
                        }
                        scores[(int) j] = s;
                        max = Math.max(max, s);
                    }
                    double sum = 0;
                    for (int j = 0; j < skv && max != Double.NEGATIVE_INFINITY; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    long oBase = row(oSeq, b, h, i, hq, sq) * dv;
                    if (max == Double.NEGATIVE_INFINITY) {
                        continue;
                    }
                    for (long e = 0; e < dv; e++) {
                        double acc = 0;
                        for (long j = 0; j < skv; j++) {
                            acc += scores[(int) j] * v.getDouble(row(vSeq, b, kvHead, j, hkv, skv) * dv + e);
                        }
                        out.setDouble(oBase + e, acc / sum);
                    }
                }
            }
        }
        return out;
    }

    /** Row {@code i} of head {@code h} in batch {@code b}: of {@code [B,H,S,·]}, or {@code [B,S,H,·]} when {@code seqMajor}. */
    private static long row(boolean seqMajor, long b, long h, long i, long heads, long s) {
        return seqMajor ? (b * s + i) * heads + h : (b * heads + h) * s + i;
    }

    /** Rotates feature pairs (i, i + R/2), or (2i, 2i + 1) when interleaved, by the angle of the token's position. */
    static HostTensor rope(Call c) {
        HostTensor x = c.in(0);
        HostTensor cos = c.in(1);
        HostTensor sin = c.in(2);
        HostTensor positions = c.in().size() > 3 ? c.in(3) : null;
        long[] xs = x.shape();
        boolean fourD = xs.length == 4;
        long batch = xs[0];
        long heads = fourD ? xs[1] : c.node().intAttr("num_heads");
        long seq = fourD ? xs[2] : xs[1];
        long head = fourD ? xs[3] : xs[2] / heads;
        long rotary = c.node().intAttr("rotary_embedding_dim");
        long r = rotary == 0 ? head : rotary;
        long half = r / 2;
        boolean interleaved = c.node().intAttr("interleaved") != 0;
        HostTensor out = c.newOutput();
        for (long i = 0; i < x.size(); i++) {
            Index.copy(x, i, out, i);
        }
        for (long b = 0; b < batch; b++) {
            for (long s = 0; s < seq; s++) {
                long row = positions == null ? (b * seq + s) : positions.getLong(b * seq + s);
                for (long h = 0; h < heads; h++) {
                    long base = fourD ? ((b * heads + h) * seq + s) * head : ((b * seq + s) * heads + h) * head;
                    for (long p = 0; p < half; p++) {
                        long i1 = base + (interleaved ? 2 * p : p);
                        long i2 = base + (interleaved ? 2 * p + 1 : p + half);
                        double co = cos.getDouble(row * half + p);
                        double si = sin.getDouble(row * half + p);
                        double x1 = x.getDouble(i1);
                        double x2 = x.getDouble(i2);
                        out.setDouble(i1, co * x1 - si * x2);
                        out.setDouble(i2, si * x1 + co * x2);
                    }
                }
            }
        }
        return out;
    }
}
