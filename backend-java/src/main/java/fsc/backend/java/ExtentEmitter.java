package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.TypeName;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.ops.ExtentOps;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * {@code nonzero}, {@code unique} and {@code non_max_suppression}: one call of the runtime kernel
 * ({@code NonZero}, {@code Unique}, {@code NonMaxSuppression}), whose result count is the node's
 * extent symbol. The outputs' buffers are planned at the symbol's bound; the node writes the count
 * into the extent's field, and every later dimension naming the symbol reads it ({@link DimCode}).
 * Unique and NonMaxSuppression keep their sort scratch in a kernel object made once per model.
 */
final class ExtentEmitter {
    private ExtentEmitter() {}

    private static final String KERNELS = "fsc.runtime.kernels";
    private static final ClassName NON_ZERO = ClassName.get(KERNELS, "NonZero");
    private static final ClassName UNIQUE = ClassName.get(KERNELS, "Unique");
    private static final ClassName NMS = ClassName.get(KERNELS, "NonMaxSuppression");

    static CodeBlock nonzero(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        String shape = s.methodName() + "_shape";
        s.model()
                .addField(
                        FieldSpec.builder(long[].class, shape, Modifier.PRIVATE).build(),
                        CodeBlock.builder()
                                .addStatement(
                                        "this.$N = new long[$L]",
                                        shape,
                                        x.type().rank())
                                .build());
        CodeBlock.Builder b = CodeBlock.builder();
        for (int d = 0; d < x.type().rank(); d++) {
            b.addStatement("$N[$L] = $L", shape, d, s.dims().of(x.type().dim(d)));
        }
        CodeBlock count = CodeBlock.of(
                "$T.run($N, $T.$L, $N, $N)",
                NON_ZERO,
                s.segment(x, "x"),
                JavaTypes.ELEM_TYPE,
                x.dtype().name(),
                shape,
                s.segment(n.output(), "y"));
        return b.add(s.dims().assignExtent(n.strAttr(ExtentOps.EXTENT), count)).build();
    }

    static CodeBlock unique(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        List<Dim> dims = x.type().dims();
        Dim outer = Dim.of(1);
        Dim len;
        Dim inner = Dim.of(1);
        if (n.attrs().containsKey("axis")) {
            int axis = (int) (n.intAttr("axis") < 0 ? n.intAttr("axis") + dims.size() : n.intAttr("axis"));
            outer = Dim.product(dims.subList(0, axis));
            len = dims.get(axis);
            inner = Dim.product(dims.subList(axis + 1, dims.size()));
        } else {
            len = Dim.product(dims);
        }
        String kernel = s.methodName() + "_kernel";
        long maxLen = len.upperBound(s.model().graph().symbols());
        s.model()
                .addField(
                        FieldSpec.builder(UNIQUE, kernel, Modifier.PRIVATE).build(),
                        CodeBlock.builder()
                                .addStatement("this.$N = new $T($LL)", kernel, UNIQUE, maxLen)
                                .build());
        List<CodeBlock> outs = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            outs.add(CodeBlock.of("$N", s.segment(n.outputs().get(k), "out" + k)));
        }
        CodeBlock count = CodeBlock.of(
                "$N.run($N, $T.$L, $L, $L, $L, $L, $L)",
                kernel,
                s.segment(x, "x"),
                JavaTypes.ELEM_TYPE,
                x.dtype().name(),
                s.dims().of(outer),
                s.dims().of(len),
                s.dims().of(inner),
                n.intAttr("sorted") != 0,
                CodeBlock.join(outs, ", "));
        return s.dims().assignExtent(n.strAttr(ExtentOps.EXTENT), count);
    }

    static CodeBlock nonMaxSuppression(Scope s) {
        Node n = s.node();
        Value boxes = n.input(0);
        Value scores = n.input(1);
        String kernel = s.methodName() + "_kernel";
        long maxBoxes = scores.type().dim(2).upperBound(s.model().graph().symbols());
        s.model()
                .addField(
                        FieldSpec.builder(NMS, kernel, Modifier.PRIVATE).build(),
                        CodeBlock.builder()
                                .addStatement("this.$N = new $T($LL)", kernel, NMS, maxBoxes)
                                .build());
        CodeBlock.Builder b = CodeBlock.builder();
        String maxPerClass = s.local("maxPerClass");
        String iou = s.local("iou");
        String minScore = s.local("minScore");
        boolean hasScore = n.inputs().size() > 4 && hasElements(n.input(4));
        b.addStatement("long $N = $L", maxPerClass, firstElement(s, n, 2, TypeName.LONG, "0L"));
        b.addStatement("double $N = $L", iou, firstElement(s, n, 3, TypeName.DOUBLE, "0.0"));
        b.addStatement("double $N = $L", minScore, hasScore ? firstElement(s, n, 4, TypeName.DOUBLE, "0.0") : "0.0");
        List<Dim> sd = scores.type().dims();
        CodeBlock count = CodeBlock.of(
                "$N.run($N, $N, $T.$L, $T.toIntExact($L), $T.toIntExact($L), $T.toIntExact($L), $N, $N, $L, $N, $L, $N)",
                kernel,
                s.segment(boxes, "boxes"),
                s.segment(scores, "scores"),
                JavaTypes.ELEM_TYPE,
                boxes.dtype().name(),
                Math.class,
                s.dims().of(sd.get(0)),
                Math.class,
                s.dims().of(sd.get(1)),
                Math.class,
                s.dims().of(sd.get(2)),
                maxPerClass,
                iou,
                hasScore,
                minScore,
                n.intAttr("center_point_box") != 0,
                s.segment(n.output(), "selected"));
        return b.add(s.dims().assignExtent(n.strAttr(ExtentOps.EXTENT), count)).build();
    }

    private static boolean hasElements(Value v) {
        return !Dim.product(v.type().dims()).equals(Dim.of(0));
    }

    /** Element 0 of optional operand {@code i} (a scalar or one-element tensor), or {@code absent}. */
    private static CodeBlock firstElement(Scope s, Node n, int i, TypeName as, String absent) {
        if (n.inputs().size() <= i || !hasElements(n.input(i))) {
            return CodeBlock.of("$L", absent);
        }
        Value v = n.input(i);
        String layout = JavaTypes.layoutField(v.dtype());
        return CodeBlock.of("($T) $N.getAtIndex($N, 0L)", as, s.segment(v, "operand" + i), layout);
    }
}
