package fsc.ir.interp;

import fsc.ir.Attr;
import fsc.ir.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reference {@code tfidf_vectorizer} (ONNX TfIdfVectorizer-9), counted as ONNX Runtime does: for each
 * skip distance 1..max_skip_count+1 and each start token, every n-gram of min..max_gram_length tokens
 * taken skip apart that is in the pool adds one to its output column; unigrams are counted at skip
 * distance 1 only, since skipping does not change them. Looked up whole in a map, where ONNX Runtime
 * walks a trie: the counts are the same, as a pool n-gram's prefixes need not be in the pool.
 */
final class TfIdfKernel {
    private TfIdfKernel() {}

    static HostTensor tfidf(Call c) {
        Node n = c.node();
        HostTensor x = c.in(0);
        long[] xs = x.shape();
        int rows = xs.length == 2 ? (int) xs[0] : 1;
        int cols = (int) xs[xs.length - 1];
        long[] ys = c.outShape();
        int width = (int) ys[ys.length - 1];
        Map<List<Long>, Integer> columns = columns(n);
        int minGram = (int) n.intAttr("min_gram_length");
        int maxGram = (int) n.intAttr("max_gram_length");
        int maxSkip = (int) n.intAttr("max_skip_count");
        double[] counts = new double[rows * width];
        for (int r = 0; r < rows; r++) {
            int startSize = minGram;
            for (int skip = 1; skip <= maxSkip + 1; skip++) {
                for (int s = 0; s < cols; s++) {
                    for (int size = startSize; size <= maxGram && s + skip * (size - 1) < cols; size++) {
                        List<Long> gram = new ArrayList<>();
                        for (int k = 0; k < size; k++) {
                            gram.add(x.getLong((long) r * cols + s + (long) skip * k));
                        }
                        Integer col = columns.get(gram);
                        if (col != null) {
                            counts[r * width + col]++;
                        }
                    }
                }
                if (startSize == 1 && ++startSize > maxGram) {
                    break;
                }
            }
        }
        String mode = n.strAttr("mode");
        Attr w = n.attrs().get("weights");
        List<Double> weights = w == null ? null : ((Attr.Floats) w).values();
        HostTensor out = c.newOutput();
        for (int i = 0; i < counts.length; i++) {
            double weight = weights == null ? 1 : weights.get(i % width);
            double v =
                    switch (mode) {
                        case "TF" -> counts[i];
                        case "IDF" -> counts[i] > 0 ? weight : 0;
                        default -> counts[i] * weight;
                    };
            out.setDouble(i, v);
        }
        return out;
    }

    /** Each pool n-gram → its output column; the (i+1)-grams start at {@code ngram_counts[i]}. */
    private static Map<List<Long>, Integer> columns(Node n) {
        long[] counts = n.intsAttr("ngram_counts");
        long[] pool = n.intsAttr("pool_int64s");
        long[] indexes = n.intsAttr("ngram_indexes");
        Map<List<Long>, Integer> columns = new HashMap<>();
        int ordinal = 0;
        for (int i = 0; i < counts.length; i++) {
            int size = i + 1;
            long end = i + 1 < counts.length ? counts[i + 1] : pool.length;
            for (long p = counts[i]; p + size <= end; p += size) {
                List<Long> gram = new ArrayList<>();
                for (int k = 0; k < size; k++) {
                    gram.add(pool[(int) p + k]);
                }
                columns.put(gram, (int) indexes[ordinal++]);
            }
        }
        return columns;
    }
}
