package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.List;

/**
 * {@code gather}: every index selects a contiguous block of {@code data} (a row of an embedding table
 * for axis 0), copied with one {@code MemorySegment.copy}. Works for any element type since it copies
 * bytes. Negative indices wrap; an index out of range is a {@code RuntimeFailure} naming the node.
 */
final class GatherEmitter {
    private GatherEmitter() {}

    static CodeBlock gather(Scope s) {
        Node n = s.node();
        Value data = n.input(0);
        Value indices = n.input(1);
        Value y = n.output();
        List<Dim> dd = data.type().dims();
        int axis = Code.axis(n.intAttr("axis"), dd.size());
        DimCode dc = s.dims();
        long es = data.dtype().blockBytes();
        String ds = s.segment(data, "data");
        String is = s.segment(indices, "idx");
        String ys = s.segment(y, "y");
        String outer = s.local("outer");
        String count = s.local("count");
        String rows = s.local("rows");
        String block = s.local("blockBytes");
        String o = s.local("o");
        String j = s.local("j");
        String r = s.local("r");
        String il = JavaTypes.layoutField(indices.dtype());
        return CodeBlock.builder()
                .addStatement("long $N = $L", outer, dc.product(dd.subList(0, axis)))
                .addStatement("long $N = $L", count, dc.of(indices.type().elementCount()))
                .addStatement("long $N = $L", rows, dc.of(dd.get(axis)))
                .addStatement("long $N = $L * $LL", block, dc.product(dd.subList(axis + 1, dd.size())), es)
                .beginControlFlow("for (long $N = 0; $N < $N; $N++)", o, o, outer, o)
                .beginControlFlow("for (long $N = 0; $N < $N; $N++)", j, j, count, j)
                .addStatement("long $N = $N.getAtIndex($N, $N)", r, is, il, j)
                .beginControlFlow("if ($N < 0)", r)
                .addStatement("$N += $N", r, rows)
                .endControlFlow()
                .beginControlFlow("if ($N < 0 || $N >= $N)", r, r, rows)
                .addStatement(
                        "throw new $T($S + $N.getAtIndex($N, $N) + $S + $N + $S)",
                        JavaTypes.RUNTIME_FAILURE,
                        n.where() + ": index ",
                        is,
                        il,
                        j,
                        " is out of range for a dimension of ",
                        rows,
                        "")
                .endControlFlow()
                .addStatement(
                        "$T.copy($N, ($N * $N + $N) * $N, $N, ($N * $N + $N) * $N, $N)",
                        JavaTypes.MEMORY_SEGMENT,
                        ds,
                        o,
                        rows,
                        r,
                        block,
                        ys,
                        o,
                        count,
                        j,
                        block,
                        block)
                .endControlFlow()
                .endControlFlow()
                .build();
    }
}
