package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.List;

/**
 * {@code tfidf_vectorizer(x)}: ONNX TfIdfVectorizer-9 over integer tokens. {@code x} is {@code [C]} or
 * {@code [N, C]} of i32/i64; the result is f32 {@code [max(ngram_indexes) + 1]} or {@code [N, that]}.
 * Attributes as ONNX's: {@code min_gram_length}, {@code max_gram_length}, {@code max_skip_count},
 * {@code mode} ({@code "TF"}, {@code "IDF"}, {@code "TFIDF"}), {@code ngram_counts},
 * {@code ngram_indexes}, {@code pool_int64s} and optional {@code weights} (Floats).
 */
final class TextOps {
    private TextOps() {}

    static List<OpDef> defs() {
        // ONNX TfIdfVectorizer requires the n-gram bounds, the skip count and the mode: no defaults.
        return List.of(OpSpec.fixed("tfidf_vectorizer", 1, TextOps::tfidf)
                .attrs(
                        AttrSpec.integer("min_gram_length"),
                        AttrSpec.integer("max_gram_length"),
                        AttrSpec.integer("max_skip_count"),
                        AttrSpec.string("mode"),
                        AttrSpec.ints("ngram_counts"),
                        AttrSpec.ints("ngram_indexes"),
                        AttrSpec.ints("pool_int64s"),
                        AttrSpec.floats("weights")));
    }

    private static List<TensorType> tfidf(InferContext ctx) {
        TensorType x = ctx.input(0);
        if ((x.dtype() != DType.I32 && x.dtype() != DType.I64) || x.rank() < 1 || x.rank() > 2) {
            throw ctx.fail("needs i32 or i64 tokens [C] or [N, C], got " + x);
        }
        for (String required : List.of("min_gram_length", "max_gram_length", "max_skip_count", "mode")) {
            if (!ctx.has(required)) {
                throw ctx.fail("needs attribute '" + required + "'");
            }
        }
        long minGram = ctx.intAttr("min_gram_length");
        long maxGram = ctx.intAttr("max_gram_length");
        if (minGram < 1 || maxGram < minGram) {
            throw ctx.fail("needs 1 <= min_gram_length <= max_gram_length, got " + minGram + " and " + maxGram);
        }
        if (ctx.intAttr("max_skip_count") < 0) {
            throw ctx.fail("max_skip_count must be non-negative, got " + ctx.intAttr("max_skip_count"));
        }
        String mode = ctx.strAttr("mode");
        if (!mode.equals("TF") && !mode.equals("IDF") && !mode.equals("TFIDF")) {
            throw ctx.fail("mode must be \"TF\", \"IDF\" or \"TFIDF\", got \"" + mode + "\"");
        }
        long[] indexes = ctx.intsAttr("ngram_indexes").orElseThrow(() -> ctx.fail("needs ngram_indexes"));
        long[] counts = ctx.intsAttr("ngram_counts").orElseThrow(() -> ctx.fail("needs ngram_counts"));
        long[] pool = ctx.intsAttr("pool_int64s").orElseThrow(() -> ctx.fail("needs pool_int64s"));
        if (grams(counts, pool.length) != indexes.length) {
            throw ctx.fail("pool_int64s holds " + grams(counts, pool.length) + " n-grams but ngram_indexes names "
                    + indexes.length);
        }
        long width = 0;
        for (long i : indexes) {
            if (i < 0) {
                throw ctx.fail("ngram_indexes must be non-negative, got " + i);
            }
            width = Math.max(width, i + 1);
        }
        List<Dim> dims = x.rank() == 1 ? List.of(Dim.of(width)) : List.of(x.dim(0), Dim.of(width));
        return List.of(new TensorType(DType.F32, dims));
    }

    /** The n-grams in a pool of {@code poolSize} tokens whose (i+1)-grams start at {@code counts[i]}. */
    private static long grams(long[] counts, long poolSize) {
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            long end = i + 1 < counts.length ? counts[i + 1] : poolSize;
            total += (end - counts[i]) / (i + 1);
        }
        return total;
    }
}
