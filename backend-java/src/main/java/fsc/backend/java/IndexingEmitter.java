package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Ops that walk one axis of a tensor viewed as {@code [outer, axis, inner]}: {@code split} (one block
 * copy per part and outer index), {@code cumsum}/{@code cumprod}, {@code argmax}; plus {@code trilu} (a mask on the
 * last two axes) and {@code tile} (a strided copy whose iteration space pairs every dimension with its
 * repeat count). Decoder and CNN graphs use them outside the hot loops, so they are scalar.
 */
final class IndexingEmitter {
    private IndexingEmitter() {}

    static CodeBlock split(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        List<Dim> xd = x.type().dims();
        int axis = Code.axis(n.intAttr("axis"), xd.size());
        DimCode dc = s.dims();
        long es = x.dtype().blockBytes();
        String xs = s.segment(x, "x");
        String inner = s.local("innerBytes");
        String len = s.local("len");
        String o = s.local("o");
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("long $N = $L * $LL", inner, dc.product(xd.subList(axis + 1, xd.size())), es)
                .addStatement("long $N = $L", len, dc.of(xd.get(axis)))
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", o, o, dc.product(xd.subList(0, axis)), o);
        List<CodeBlock> starts = new ArrayList<>();
        for (Value y : n.outputs()) {
            Dim part = y.type().dim(axis);
            CodeBlock at = starts.isEmpty() ? CodeBlock.of("0L") : CodeBlock.join(starts, " + ");
            b.addStatement(
                    "$T.copy($N, ($N * $N + $L) * $N, $N, $N * $L * $N, $L * $N)",
                    JavaTypes.MEMORY_SEGMENT,
                    xs,
                    o,
                    len,
                    at,
                    inner,
                    s.segment(y, "y"),
                    o,
                    dc.of(part),
                    inner,
                    dc.of(part),
                    inner);
            starts.add(dc.of(part));
        }
        return b.endControlFlow().build();
    }

    static CodeBlock tile(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        // The output type already holds every tiled size; the repeats follow from it, whether the
        // node carries them as an attribute or (unfolded, a constant operand) as an input.
        long[] repeats = new long[xd.size()];
        for (int d = 0; d < repeats.length; d++) {
            repeats[d] = DimCode.isZero(xd.get(d))
                    ? 1
                    : y.type().dim(d).dividedBy(xd.get(d)).orElseThrow().value();
        }
        List<Dim> yStrides = DimCode.contiguousStrides(y.type().dims());
        List<Dim> xStrides = DimCode.contiguousStrides(xd);
        List<Dim> space = new ArrayList<>();
        List<Dim> ys = new ArrayList<>();
        List<Dim> xs = new ArrayList<>();
        for (int d = 0; d < xd.size(); d++) {
            // Output index along d is rep * xd[d] + j: the repeat walks whole copies, j the copy.
            space.add(Dim.of(repeats[d]));
            ys.add(DimCode.times(yStrides.get(d), xd.get(d)));
            xs.add(Dim.of(0));
            space.add(xd.get(d));
            ys.add(yStrides.get(d));
            xs.add(xStrides.get(d));
        }
        LoopNest nest = LoopNest.of(space, List.of(ys, xs));
        return CopyEmitter.copyNest(
                s,
                nest,
                s.segment(y, "y"),
                s.segment(x, "x"),
                CodeBlock.of("0L"),
                x.dtype().blockBytes());
    }

    static CodeBlock trilu(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        boolean upper = n.intAttr("upper") != 0;
        long k = operandOrAttr(s, 1, "k");
        DimCode dc = s.dims();
        String xs = s.segment(x, "x");
        String ys = s.segment(y, "y");
        String l = JavaTypes.rawLayoutField(x.dtype().blockBytes());
        String rows = s.local("rows");
        String cols = s.local("cols");
        String m = s.local("m");
        String r = s.local("r");
        String c = s.local("c");
        String at = s.local("at");
        return CodeBlock.builder()
                .addStatement("long $N = $L", rows, dc.of(xd.get(xd.size() - 2)))
                .addStatement("long $N = $L", cols, dc.of(xd.get(xd.size() - 1)))
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", m, m, dc.product(xd.subList(0, xd.size() - 2)), m)
                .beginControlFlow("for (long $N = 0; $N < $N; $N++)", r, r, rows, r)
                .beginControlFlow("for (long $N = 0; $N < $N; $N++)", c, c, cols, c)
                .addStatement("long $N = ($N * $N + $N) * $N + $N", at, m, rows, r, cols, c)
                .addStatement(
                        "$N.setAtIndex($N, $N, $N - $N $L $LL ? $N.getAtIndex($N, $N) : 0)",
                        ys,
                        l,
                        at,
                        c,
                        r,
                        upper ? ">=" : "<=",
                        k,
                        xs,
                        l,
                        at)
                .endControlFlow()
                .endControlFlow()
                .endControlFlow()
                .build();
    }

    static CodeBlock cumsum(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        int axis = Code.axis(operandOrAttr(s, 1, "axis"), xd.size());
        boolean exclusive = n.intAttr("exclusive") != 0;
        boolean reverse = n.intAttr("reverse") != 0;
        boolean product = n.op().equals("cumprod");
        DimCode dc = s.dims();
        DType t = x.dtype();
        String l = JavaTypes.layoutField(t);
        String xs = s.segment(x, "x");
        String ys = s.segment(y, "y");
        String len = s.local("len");
        String inner = s.local("inner");
        String o = s.local("o");
        String in = s.local("in");
        String step = s.local("step");
        String at = s.local("at");
        String sum = s.local("sum");
        CodeBlock j = reverse ? CodeBlock.of("$N - 1 - $N", len, step) : CodeBlock.of("$N", step);
        CodeBlock store = CodeBlock.of("$N.setAtIndex($N, $N, ($T) $N)", ys, l, at, JavaTypes.scalar(t), sum);
        CodeBlock.Builder body =
                CodeBlock.builder().addStatement("long $N = ($N * $N + $L) * $N + $N", at, o, len, j, inner, in);
        if (exclusive) {
            body.addStatement(store);
        }
        body.addStatement("$N $L= $N.getAtIndex($N, $N)", sum, product ? "*" : "+", xs, l, at);
        if (!exclusive) {
            body.addStatement(store);
        }
        return CodeBlock.builder()
                .addStatement("long $N = $L", len, dc.of(xd.get(axis)))
                .addStatement("long $N = $L", inner, dc.product(xd.subList(axis + 1, xd.size())))
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", o, o, dc.product(xd.subList(0, axis)), o)
                .beginControlFlow("for (long $N = 0; $N < $N; $N++)", in, in, inner, in)
                .addStatement(
                        "$T $N = $L",
                        t.isFloat() ? JavaTypes.scalar(t) : com.palantir.javapoet.TypeName.LONG,
                        sum,
                        product ? 1 : 0)
                .beginControlFlow("for (long $N = 0; $N < $N; $N++)", step, step, len, step)
                .add(body.build())
                .endControlFlow()
                .endControlFlow()
                .endControlFlow()
                .build();
    }

    static CodeBlock argmax(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        int axis = Code.axis(n.intAttr("axis"), xd.size());
        boolean last = n.intAttr("select_last_index") != 0;
        DimCode dc = s.dims();
        String l = JavaTypes.layoutField(x.dtype());
        String xs = s.segment(x, "x");
        String ys = s.segment(y, "y");
        String len = s.local("len");
        String inner = s.local("inner");
        String o = s.local("o");
        String in = s.local("in");
        String j = s.local("j");
        String best = s.local("best");
        String bestValue = s.local("bestValue");
        String v = s.local("v");
        return CodeBlock.builder()
                .addStatement("long $N = $L", len, dc.of(xd.get(axis)))
                .addStatement("long $N = $L", inner, dc.product(xd.subList(axis + 1, xd.size())))
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", o, o, dc.product(xd.subList(0, axis)), o)
                .beginControlFlow("for (long $N = 0; $N < $N; $N++)", in, in, inner, in)
                .addStatement("long $N = 0", best)
                .addStatement("double $N = $N.getAtIndex($N, $N * $N * $N + $N)", bestValue, xs, l, o, len, inner, in)
                .beginControlFlow("for (long $N = 1; $N < $N; $N++)", j, j, len, j)
                .addStatement("double $N = $N.getAtIndex($N, ($N * $N + $N) * $N + $N)", v, xs, l, o, len, j, inner, in)
                .beginControlFlow("if ($N $L $N)", v, last ? ">=" : ">", bestValue)
                .addStatement("$N = $N", best, j)
                .addStatement("$N = $N", bestValue, v)
                .endControlFlow()
                .endControlFlow()
                .addStatement("$N.setAtIndex($N, $N * $N + $N, $N)", ys, "I64", o, inner, in, best)
                .endControlFlow()
                .endControlFlow()
                .build();
    }

    /** {@code range(start, limit, delta)}: {@code y[i] = start + i * delta}; the length is the output's. */
    static CodeBlock range(Scope s) {
        Node n = s.node();
        Value y = n.output();
        DType t = y.dtype();
        String l = JavaTypes.layoutField(t);
        String start = s.local("start");
        String delta = s.local("delta");
        String ss = s.segment(n.input(0), "startBuf");
        String ds = s.segment(n.input(2), "deltaBuf");
        com.palantir.javapoet.TypeName st = JavaTypes.scalar(t);
        return CodeBlock.builder()
                .addStatement("$T $N = $N.getAtIndex($N, 0)", st, start, ss, l)
                .addStatement("$T $N = $N.getAtIndex($N, 0)", st, delta, ds, l)
                .add(Code.scalarLoop(s, s.dims().of(y.type().elementCount()), i -> CodeBlock.builder()
                        .addStatement(Code.set(
                                s.segment(y, "y"),
                                l,
                                CodeBlock.of("$N", i),
                                CodeBlock.of("($T) ($N + $N * $N)", st, start, i, delta)))
                        .build()))
                .build();
    }

    /**
     * An integer given either as attribute {@code attr} (folded form) or as constant operand {@code input}
     * (ONNX's operand form when {@code fold} left it, e.g. conformance graphs with bound inputs).
     */
    static long operandOrAttr(Scope s, int input, String attr) {
        Node n = s.node();
        if (n.inputs().size() > input) {
            Double v = s.model().weights().scalarValue(n.input(input));
            if (v == null) {
                throw new IllegalStateException(
                        n.where() + ": operand " + input + " passed the support check but is not a constant");
            }
            return v.longValue();
        }
        return n.intAttr(attr);
    }
}
