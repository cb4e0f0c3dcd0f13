package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.ops.OpTrait;
import fsc.ir.ops.Ops;
import fsc.ir.ops.Shapes;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The run-time half of {@link Shapes#sameWindowSize}: where a shape rule took two different
 * window-made sizes to be equal (an element-wise op or a concat joining a feature pyramid's levels),
 * each call checks that they are, before any node runs, and fails in one line otherwise, as ONNX
 * Runtime fails on such an input (a detector fed a side that is not a multiple of its total stride).
 * Without the check the two buffers would be read as if they had one size.
 */
final class WindowSizeChecks {
    private WindowSizeChecks() {}

    static CodeBlock of(Graph g, DimCode dc) {
        SortedMap<String, Dim[]> pairs = new TreeMap<>();
        for (Node n : g.nodes()) {
            boolean concat = n.op().equals("concat");
            if (!concat && !n.isFused() && !Ops.hasTrait(n.op(), OpTrait.ELEMENTWISE)) {
                continue;
            }
            int axis = -1;
            if (concat) {
                long a = n.intAttr("axis");
                axis = (int) (a < 0 ? a + n.output().type().rank() : a);
            }
            for (Value out : n.outputs()) {
                List<Dim> od = out.type().dims();
                for (Value in : n.inputs()) {
                    List<Dim> id = in.type().dims();
                    for (int k = 1; k <= Math.min(id.size(), od.size()); k++) {
                        int oi = od.size() - k;
                        Dim a = id.get(id.size() - k);
                        Dim b = od.get(oi);
                        if (oi != axis && !a.equals(b) && !Shapes.isOne(a) && Shapes.sameWindowSize(a, b)) {
                            pairs.put(a + " = " + b, new Dim[] {a, b});
                        }
                    }
                }
            }
        }
        CodeBlock.Builder code = CodeBlock.builder();
        for (var e : pairs.entrySet()) {
            Dim a = e.getValue()[0];
            Dim b = e.getValue()[1];
            code.beginControlFlow("if ($L != $L)", dc.of(a), dc.of(b))
                    .addStatement(
                            "throw new $T($S + $L + $S + $L + $S)",
                            JavaTypes.RUNTIME_FAILURE,
                            "input sizes give the model's joined feature maps different sizes (",
                            dc.of(a),
                            " vs ",
                            dc.of(b),
                            "): it needs " + e.getKey()
                                    + " (e.g. an image side that is a multiple of its total stride)")
                    .endControlFlow();
        }
        return code.build();
    }
}
