package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.ops.AttentionLayout;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * {@code attention} (from {@code recognize} or ONNX Attention-23) as one call of the runtime's
 * kernel {@code Attention.attend}, which splits the {@code [B, H]} heads over the model's threads:
 * the scores never become a tensor. The mask's
 * broadcast over {@code [B,H,Sq,Skv]} is passed as element strides (0 on broadcast axes), and the
 * per-row score scratch is a field of the model instance sized for the symbols' upper bounds, so a
 * call allocates nothing. The node's {@code layout} bits ({@code attention-layout}) go to the kernel
 * as they are: its own bits for sequence-major operands.
 */
final class AttentionEmitter {
    private AttentionEmitter() {}

    static final ClassName KERNEL = ClassName.get("fsc.runtime.kernels", "Attention");

    static CodeBlock attention(Scope s) {
        Node n = s.node();
        Value q = n.input(0);
        Value k = n.input(1);
        Value v = n.input(2);
        Value mask = n.inputs().size() > 3 ? n.input(3) : null;
        DimCode dc = s.dims();
        // The logical [B,H,S,D] dims, whichever operands the layout says are sequence-major.
        long layout = n.has("layout") ? n.intAttr("layout") : 0;
        List<Dim> qd = AttentionLayout.headMajor(q.type(), layout, AttentionLayout.Q_SEQ_MAJOR)
                .dims();
        List<Dim> kd = AttentionLayout.headMajor(k.type(), layout, AttentionLayout.K_SEQ_MAJOR)
                .dims();
        long d = qd.get(3).value();
        double scale = n.has("scale") ? n.floatAttr("scale") : 1 / Math.sqrt(d);
        String scratch = s.methodName() + "_scores";
        long skvBound = kd.get(2).upperBound(boundsOf(s));
        s.model()
                .addField(
                        FieldSpec.builder(float[].class, scratch, Modifier.PRIVATE, Modifier.FINAL)
                                .addJavadoc("Scores of one query row of $L (at most $L keys).\n", n.where(), skvBound)
                                .build(),
                        CodeBlock.builder()
                                .addStatement("this.$N = new float[$L]", scratch, Math.max(1, skvBound))
                                .build());
        CodeBlock causal =
                switch (n.strAttr("causal")) {
                    case "upper_left" -> CodeBlock.of("0L");
                    case "lower_right" -> CodeBlock.of("$L - $L", dc.of(kd.get(2)), dc.of(qd.get(2)));
                    default -> CodeBlock.of("$T.NOT_CAUSAL", KERNEL);
                };
        List<Dim> scoreDims = List.of(qd.get(0), qd.get(1), qd.get(2), kd.get(2));
        CodeBlock maskArgs = mask == null
                ? CodeBlock.of("$T.NULL, false, 0L, 0L, 0L, 0L", JavaTypes.MEMORY_SEGMENT)
                : CodeBlock.of(
                        "$N, $L, $L",
                        s.segment(mask, "mask"),
                        mask.dtype() == DType.BOOL,
                        CodeBlock.join(broadcastStrides(mask.type().dims(), scoreDims, dc), ", "));
        return CodeBlock.builder()
                .addStatement(
                        "$T.attend($N, $N, $N, $L, $N, $L, $L, $L, $L, $L, $L, $L, $Lf, $Lf, $L, $L, $N, $N)",
                        KERNEL,
                        s.segment(q, "q"),
                        s.segment(k, "k"),
                        s.segment(v, "v"),
                        maskArgs,
                        s.segment(n.output(), "out"),
                        toInt(dc.of(qd.get(0))),
                        toInt(dc.of(qd.get(1))),
                        toInt(dc.of(kd.get(1))),
                        toInt(dc.of(qd.get(2))),
                        toInt(dc.of(kd.get(2))),
                        d,
                        v.type().dim(3).value(),
                        (float) scale,
                        (float) n.floatAttr("softcap"),
                        causal,
                        layout,
                        scratch,
                        ModelContext.PAR)
                .build();
    }

    private static CodeBlock toInt(CodeBlock c) {
        return CodeBlock.of("$T.toIntExact($L)", Math.class, c);
    }

    private static Map<String, Long> boundsOf(Scope s) {
        return s.model().graph().symbols();
    }

    /**
     * Element strides of a mask of {@code dims} read at score index {@code [b,h,i,j]}: numpy
     * broadcasting aligns trailing axes, and an axis of size 1 (or a missing leading one) has stride 0.
     */
    static List<CodeBlock> broadcastStrides(List<Dim> dims, List<Dim> scoreDims, DimCode dc) {
        CodeBlock[] out = new CodeBlock[4];
        CodeBlock stride = CodeBlock.of("1L");
        for (int a = 3; a >= 0; a--) {
            int m = dims.size() - (4 - a);
            if (m < 0 || dims.get(m).equals(Dim.of(1)) && !scoreDims.get(a).equals(Dim.of(1))) {
                out[a] = CodeBlock.of("0L");
            } else {
                out[a] = stride;
            }
            if (m >= 0) {
                stride = CodeBlock.of("$L * $L", stride, dc.of(dims.get(m)));
            }
        }
        return List.of(out);
    }
}
