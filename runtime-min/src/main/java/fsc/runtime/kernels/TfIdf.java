package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * ONNX TfIdfVectorizer-9 over i32 or i64 tokens, counted as ONNX Runtime does: for each skip
 * distance 1..maxSkip+1 and each start token, every n-gram of minGram..maxGram tokens taken skip
 * apart that is in the pool adds one to its output column; unigrams count at skip distance 1 only.
 * The pool's n-grams are kept sorted by length then tokens and found by binary search.
 */
public final class TfIdf {
    private TfIdf() {}

    public static final int TF = 0;
    public static final int IDF = 1;
    public static final int TFIDF = 2;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * @param x {@code [rows, cols]} tokens, i64 when {@code wide} else i32
     * @param y {@code [rows, width]} f32
     * @param pool the pool's n-grams; the (i+1)-grams start at {@code ngramCounts[i]}
     * @param ngramIndexes the output column of each pool n-gram, in pool order
     * @param weights one per output column, or null (all 1)
     */
    public static void vectorize(
            MemorySegment x,
            MemorySegment y,
            int rows,
            int cols,
            int width,
            boolean wide,
            long[] pool,
            long[] ngramCounts,
            long[] ngramIndexes,
            float[] weights,
            int minGram,
            int maxGram,
            int maxSkip,
            int mode) {
        long[][] grams = new long[ngramIndexes.length][];
        int ordinal = 0;
        for (int i = 0; i < ngramCounts.length; i++) {
            int size = i + 1;
            long end = i + 1 < ngramCounts.length ? ngramCounts[i + 1] : pool.length;
            for (long p = ngramCounts[i]; p + size <= end; p += size) {
                long[] g = Arrays.copyOfRange(pool, (int) p, (int) p + size + 1);
                g[size] = ngramIndexes[ordinal++];
                grams[ordinal - 1] = g;
            }
        }
        // Each entry is the n-gram's tokens followed by its column; sorted by length, then tokens.
        Arrays.sort(grams, TfIdf::compareTokens);
        float[] counts = new float[width];
        long[] probe = new long[maxGram + 1];
        for (int r = 0; r < rows; r++) {
            Arrays.fill(counts, 0f);
            int startSize = minGram;
            for (int skip = 1; skip <= maxSkip + 1; skip++) {
                for (int s = 0; s < cols; s++) {
                    for (int size = startSize; size <= maxGram && s + skip * (size - 1) < cols; size++) {
                        long[] key = Arrays.copyOf(probe, size + 1);
                        for (int k = 0; k < size; k++) {
                            long at = (long) r * cols + s + (long) skip * k;
                            key[k] = wide ? x.getAtIndex(I64, at) : x.getAtIndex(I32, at);
                        }
                        int hit = Arrays.binarySearch(grams, key, TfIdf::compareTokens);
                        if (hit >= 0) {
                            counts[(int) grams[hit][size]]++;
                        }
                    }
                }
                if (startSize == 1 && ++startSize > maxGram) {
                    break;
                }
            }
            for (int col = 0; col < width; col++) {
                float w = weights == null ? 1f : weights[col];
                float v =
                        switch (mode) {
                            case TF -> counts[col];
                            case IDF -> counts[col] > 0 ? w : 0f;
                            default -> counts[col] * w;
                        };
                y.setAtIndex(F32, (long) r * width + col, v);
            }
        }
    }

    /** Orders entries (tokens then one trailing column) by token count, then tokens; the column is ignored. */
    private static int compareTokens(long[] a, long[] b) {
        if (a.length != b.length) {
            return Integer.compare(a.length, b.length);
        }
        return Arrays.compare(a, 0, a.length - 1, b, 0, b.length - 1);
    }
}
