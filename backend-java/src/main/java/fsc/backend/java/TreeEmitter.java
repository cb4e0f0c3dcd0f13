package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import fsc.ir.DType;
import fsc.ir.Node;
import fsc.ir.Value;

/**
 * {@code tree_ensemble} as one call of the runtime kernel {@code TreeEnsemble.evaluate}; the flattened
 * tree tables are the node's constant operands, read in place from the weights (an ensemble of
 * thousands of nodes would not fit as array literals in a class file).
 */
final class TreeEmitter {
    private TreeEmitter() {}

    static final ClassName KERNEL = ClassName.get("fsc.runtime.kernels", "TreeEnsemble");

    static CodeBlock treeEnsemble(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        DimCode dc = s.dims();
        String aggregate =
                switch (n.strAttr("aggregate_function")) {
                    case "average" -> "AVERAGE";
                    case "min" -> "MIN";
                    case "max" -> "MAX";
                    default -> "SUM";
                };
        return CodeBlock.builder()
                .addStatement(
                        "$T.evaluate($N, $N, $L, $T.toIntExact($L), $T.toIntExact($L), $L, $N, $N, $N, $N, $N, $N,"
                                + " $T.toIntExact($L), $T.$L)",
                        KERNEL,
                        s.segment(x, "x"),
                        s.segment(y, "y"),
                        x.dtype() == DType.F64,
                        Math.class,
                        dc.of(x.type().dim(0)),
                        Math.class,
                        dc.of(x.type().dim(1)),
                        n.intAttr("n_targets"),
                        s.segment(n.input(1), "nodes"),
                        s.segment(n.input(2), "splits"),
                        s.segment(n.input(3), "members"),
                        s.segment(n.input(4), "leafTargets"),
                        s.segment(n.input(5), "leafWeights"),
                        s.segment(n.input(6), "roots"),
                        Math.class,
                        dc.of(n.input(6).type().dim(0)),
                        KERNEL,
                        aggregate)
                .build();
    }
}
