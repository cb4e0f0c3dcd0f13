package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code reduce_*}: the output is filled with the reduction's identity, then one {@link LoopNest} walks
 * the input with the output's strides set to 0 along reduced axes. After coalescing, a reduction over
 * trailing axes has a contiguous inner run that is summed with vector accumulators and one
 * {@code reduceLanes}; a reduction over leading axes accumulates whole output rows with vectors;
 * anything else is the strided scalar loop.
 */
final class ReduceEmitter {
    private ReduceEmitter() {}

    static CodeBlock reduce(Scope s) {
        Node n = s.node();
        return reduce(
                s,
                n.op().substring("reduce_".length()),
                reducedAxes(n, n.input(0).type().rank()));
    }

    /** {@code global_average_pool} / {@code global_max_pool}: a mean or max over every spatial axis. */
    static CodeBlock globalPool(Scope s) {
        Node n = s.node();
        boolean[] reduced = new boolean[n.input(0).type().rank()];
        java.util.Arrays.fill(reduced, 2, reduced.length, true);
        return reduce(s, n.op().equals("global_max_pool") ? "max" : "mean", reduced);
    }

    private static CodeBlock reduce(Scope s, String op, boolean[] reduced) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        List<Dim> kept = new ArrayList<>();
        for (int d = 0; d < xd.size(); d++) {
            if (!reduced[d]) {
                kept.add(xd.get(d));
            }
        }
        List<Dim> keptStrides = DimCode.contiguousStrides(kept);
        List<Dim> yStrides = new ArrayList<>();
        Dim reducedCount = Dim.of(1);
        for (int d = 0, k = 0; d < xd.size(); d++) {
            if (reduced[d]) {
                yStrides.add(Dim.of(0));
                reducedCount = reducedCount.times(xd.get(d));
            } else {
                yStrides.add(keptStrides.get(k++));
            }
        }
        String xs = s.segment(x, "x");
        String ys = s.segment(y, "y");
        DimCode dc = s.dims();
        CodeBlock yCount = dc.of(y.type().elementCount());
        CodeBlock.Builder b = CodeBlock.builder().add(Code.scalarLoop(s, yCount, i -> CodeBlock.builder()
                .addStatement(Code.set(ys, "F32", CodeBlock.of("$N", i), identity(op)))
                .build()));
        LoopNest nest = LoopNest.of(xd, List.of(DimCode.contiguousStrides(xd), yStrides));
        CodeBlock zero = CodeBlock.of("0L");
        b.add(nest.emit(
                s, List.of(xs, ys), List.of(zero, zero), (count, off) -> inner(s, nest, op, xs, ys, count, off)));
        if (op.equals("mean")) {
            String inv = s.local("inv");
            b.addStatement("float $N = 1f / (float) ($L)", inv, dc.of(reducedCount));
            b.add(Code.scalarLoop(s, yCount, i -> CodeBlock.builder()
                    .addStatement(Code.set(
                            ys,
                            "F32",
                            CodeBlock.of("$N", i),
                            CodeBlock.of("$L * $N", Code.get(ys, "F32", CodeBlock.of("$N", i)), inv)))
                    .build()));
        } else if (op.equals("l2")) {
            b.add(Code.scalarLoop(s, yCount, i -> CodeBlock.builder()
                    .addStatement(Code.set(
                            ys,
                            "F32",
                            CodeBlock.of("$N", i),
                            CodeBlock.of(
                                    "(float) $T.sqrt($L)", Math.class, Code.get(ys, "F32", CodeBlock.of("$N", i)))))
                    .build()));
        }
        return b.build();
    }

    static boolean[] reducedAxes(Node n, int rank) {
        boolean[] reduced = new boolean[rank];
        long[] axes = n.intsAttr("axes");
        if (axes == null || axes.length == 0) {
            boolean noop = n.intAttr("noop_with_empty_axes") != 0;
            java.util.Arrays.fill(reduced, !noop);
            return reduced;
        }
        for (long a : axes) {
            reduced[Code.axis(a, rank)] = true;
        }
        return reduced;
    }

    private static CodeBlock inner(
            Scope s, LoopNest nest, String op, String xs, String ys, CodeBlock count, List<String> off) {
        DimCode dc = s.dims();
        Dim sx = nest.innerStride(0);
        Dim sy = nest.innerStride(1);
        Function<String, CodeBlock> scalar = i -> {
            CodeBlock yi = Code.index(dc, off.get(1), sy, i);
            return CodeBlock.builder()
                    .addStatement(Code.set(
                            ys,
                            "F32",
                            yi,
                            combine(
                                    op,
                                    Code.get(ys, "F32", yi),
                                    Code.get(xs, "F32", Code.index(dc, off.get(0), sx, i)))))
                    .build();
        };
        if (DimCode.isOne(sx) && DimCode.isOne(sy)) {
            return Code.vectorLoop(
                    s,
                    count,
                    i -> CodeBlock.builder()
                            .addStatement(Code.store(
                                    vectorCombine(
                                            op,
                                            Code.load(ys, CodeBlock.of("$N + $N", off.get(1), i)),
                                            Code.load(xs, CodeBlock.of("$N + $N", off.get(0), i))),
                                    ys,
                                    CodeBlock.of("$N + $N", off.get(1), i)))
                            .build(),
                    scalar);
        }
        if (DimCode.isOne(sx) && DimCode.isZero(sy)) {
            return rowReduce(s, op, xs, ys, count, off);
        }
        return Code.scalarLoop(s, count, scalar);
    }

    /** A contiguous run folded into one output element: vector accumulator, fixed-order lane fold, scalar tail. */
    private static CodeBlock rowReduce(Scope s, String op, String xs, String ys, CodeBlock count, List<String> off) {
        String acc = s.local("acc");
        String n = s.local("n");
        String bound = s.local("bound");
        String i = s.local("i");
        String r = s.local("r");
        return CodeBlock.builder()
                .addStatement("long $N = $L", n, count)
                .addStatement("long $N = $N.loopBound($N)", bound, ModelContext.SPECIES, n)
                .addStatement("$T $N = $L", JavaTypes.FLOAT_VECTOR, acc, Code.broadcast(identity(op)))
                .addStatement("long $N = 0", i)
                .beginControlFlow("for (; $N < $N; $N += $N.length())", i, bound, i, ModelContext.SPECIES)
                .addStatement(
                        "$N = $L",
                        acc,
                        vectorCombine(
                                op, CodeBlock.of("$N", acc), Code.load(xs, CodeBlock.of("$N + $N", off.get(0), i))))
                .endControlFlow()
                .addStatement("float $N = $L", r, lanesReduce(op, acc))
                .beginControlFlow("for (; $N < $N; $N++)", i, n, i)
                .addStatement(
                        "$N = $L",
                        r,
                        combine(op, CodeBlock.of("$N", r), Code.get(xs, "F32", CodeBlock.of("$N + $N", off.get(0), i))))
                .endControlFlow()
                .addStatement(Code.set(
                        ys,
                        "F32",
                        CodeBlock.of("$N", off.get(1)),
                        combineLanes(op, Code.get(ys, "F32", CodeBlock.of("$N", off.get(1))), CodeBlock.of("$N", r))))
                .build();
    }

    static CodeBlock identity(String op) {
        return switch (op) {
            case "sum", "mean", "l2" -> CodeBlock.of("0f");
            case "prod" -> CodeBlock.of("1f");
            case "max" -> CodeBlock.of("$T.NEGATIVE_INFINITY", Float.class);
            case "min" -> CodeBlock.of("$T.POSITIVE_INFINITY", Float.class);
            default -> throw new IllegalStateException("unknown reduction " + op);
        };
    }

    /** {@code acc ⊕ x} for one input element (l2 accumulates squares). */
    static CodeBlock combine(String op, CodeBlock acc, CodeBlock x) {
        return switch (op) {
            case "sum", "mean" -> CodeBlock.of("$L + $L", acc, x);
            case "l2" -> CodeBlock.of("$L + $L * $L", acc, x, x);
            case "prod" -> CodeBlock.of("$L * $L", acc, x);
            case "max" -> CodeBlock.of("$T.max($L, $L)", Math.class, acc, x);
            case "min" -> CodeBlock.of("$T.min($L, $L)", Math.class, acc, x);
            default -> throw new IllegalStateException("unknown reduction " + op);
        };
    }

    /** {@code acc ⊕ partial} where {@code partial} is already reduced (squares already summed for l2). */
    private static CodeBlock combineLanes(String op, CodeBlock acc, CodeBlock partial) {
        return combine(op.equals("l2") ? "sum" : op, acc, partial);
    }

    private static CodeBlock vectorCombine(String op, CodeBlock acc, CodeBlock x) {
        return switch (op) {
            case "sum", "mean" -> CodeBlock.of("$L.add($L)", acc, x);
            case "l2" -> CodeBlock.of("$L.fma($L, $L)", x, x, acc);
            case "prod" -> CodeBlock.of("$L.mul($L)", acc, x);
            case "max" -> CodeBlock.of("$L.max($L)", acc, x);
            case "min" -> CodeBlock.of("$L.min($L)", acc, x);
            default -> throw new IllegalStateException("unknown reduction " + op);
        };
    }

    /**
     * The vector accumulator folded to one float: sums and products by {@code Lanes}' fixed tree
     * (reduceLanes' order differs between JIT tiers), max and min by reduceLanes (order-free).
     */
    private static CodeBlock lanesReduce(String op, String acc) {
        return switch (op) {
            case "sum", "mean", "l2" -> CodeBlock.of("$T.sum($N)", JavaTypes.LANES, acc);
            case "prod" -> CodeBlock.of("$T.product($N)", JavaTypes.LANES, acc);
            case "max" -> CodeBlock.of("$N.reduceLanes($T.MAX)", acc, JavaTypes.VECTOR_OPERATORS);
            case "min" -> CodeBlock.of("$N.reduceLanes($T.MIN)", acc, JavaTypes.VECTOR_OPERATORS);
            default -> throw new IllegalStateException("unknown reduction " + op);
        };
    }
}
