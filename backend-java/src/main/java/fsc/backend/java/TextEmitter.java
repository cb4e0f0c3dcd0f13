package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code tfidf_vectorizer} as one call of the runtime kernel {@code TfIdf.vectorize}: the pool, its
 * layout and the weights become array literals, the mode one of the kernel's int constants.
 */
final class TextEmitter {
    private TextEmitter() {}

    static final ClassName KERNEL = ClassName.get("fsc.runtime.kernels", "TfIdf");

    static CodeBlock tfidf(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        DimCode dc = s.dims();
        List<Dim> xd = x.type().dims();
        List<Dim> yd = y.type().dims();
        CodeBlock rows =
                xd.size() == 2 ? CodeBlock.of("$T.toIntExact($L)", Math.class, dc.of(xd.get(0))) : CodeBlock.of("1");
        Attr w = n.attrs().get("weights");
        CodeBlock weights = CodeBlock.of("null");
        if (w != null) {
            List<CodeBlock> values = new ArrayList<>();
            for (double v : ((Attr.Floats) w).values()) {
                values.add(CodeBlock.of("$Lf", (float) v));
            }
            weights = CodeBlock.of("new float[] {$L}", CodeBlock.join(values, ", "));
        }
        String mode =
                switch (n.strAttr("mode")) {
                    case "IDF" -> "IDF";
                    case "TFIDF" -> "TFIDF";
                    default -> "TF";
                };
        return CodeBlock.builder()
                .addStatement(
                        "$T.vectorize($N, $N, $L, $T.toIntExact($L), $T.toIntExact($L), $L, $L, $L, $L, $L, $L, $L, $L, $T.$L)",
                        KERNEL,
                        s.segment(x, "x"),
                        s.segment(y, "y"),
                        rows,
                        Math.class,
                        dc.of(xd.getLast()),
                        Math.class,
                        dc.of(yd.getLast()),
                        x.dtype() == DType.I64,
                        longs(n.intsAttr("pool_int64s")),
                        longs(n.intsAttr("ngram_counts")),
                        longs(n.intsAttr("ngram_indexes")),
                        weights,
                        n.intAttr("min_gram_length"),
                        n.intAttr("max_gram_length"),
                        n.intAttr("max_skip_count"),
                        KERNEL,
                        mode)
                .build();
    }

    private static CodeBlock longs(long[] values) {
        List<CodeBlock> items = new ArrayList<>();
        for (long v : values) {
            items.add(CodeBlock.of("$LL", v));
        }
        return CodeBlock.of("new long[] {$L}", CodeBlock.join(items, ", "));
    }
}
