package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.TypeName;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code reduce_*} over f64, i64, i32 and bool (max/min only) as plain scalar loops: the output is
 * filled with the reduction's identity, then one {@link LoopNest} walks the input with the output's
 * strides 0 along reduced axes. These types are rare in inference graphs (index arithmetic, masks),
 * so they get correctness without the f32 path's vector accumulators ({@link ReduceEmitter}).
 */
final class ScalarReduceEmitter {
    private ScalarReduceEmitter() {}

    /** f32 goes to the vectorised {@link ReduceEmitter}; every other type to the scalar loop here. */
    static CodeBlock reduceAny(Scope s) {
        return s.node().input(0).dtype() == DType.F32 ? ReduceEmitter.reduce(s) : reduce(s);
    }

    private static CodeBlock reduce(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        String op = n.op().substring("reduce_".length());
        DType t = x.dtype();
        boolean[] reduced = ReduceEmitter.reducedAxes(n, x.type().rank());
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
        String layout = JavaTypes.layoutField(t);
        TypeName jt = JavaTypes.scalar(t);
        String xs = s.segment(x, "x");
        String ys = s.segment(y, "y");
        DimCode dc = s.dims();
        CodeBlock yCount = dc.of(y.type().elementCount());
        CodeBlock.Builder b = CodeBlock.builder().add(Code.scalarLoop(s, yCount, i -> CodeBlock.builder()
                .addStatement(Code.set(ys, layout, CodeBlock.of("$N", i), identity(op, t)))
                .build()));
        LoopNest nest = LoopNest.of(xd, List.of(DimCode.contiguousStrides(xd), yStrides));
        CodeBlock zero = CodeBlock.of("0L");
        b.add(nest.emit(s, List.of(xs, ys), List.of(zero, zero), (count, off) -> {
            Dim sx = nest.innerStride(0);
            Dim sy = nest.innerStride(1);
            return Code.scalarLoop(s, count, i -> {
                CodeBlock yi = Code.index(dc, off.get(1), sy, i);
                CodeBlock xi = Code.index(dc, off.get(0), sx, i);
                CodeBlock next = combine(op, Code.get(ys, layout, yi), Code.get(xs, layout, xi));
                return CodeBlock.builder()
                        .addStatement(Code.set(ys, layout, yi, CodeBlock.of("($T) ($L)", jt, next)))
                        .build();
            });
        }));
        if (op.equals("mean") || op.equals("l2")) {
            // Only f64 takes these (see JavaKernelSupport), so the finishing step is a double one.
            CodeBlock count = dc.of(reducedCount);
            b.add(Code.scalarLoop(s, yCount, i -> {
                CodeBlock acc = Code.get(ys, layout, CodeBlock.of("$N", i));
                CodeBlock done = op.equals("mean")
                        ? CodeBlock.of("$L / (double) ($L)", acc, count)
                        : CodeBlock.of("$T.sqrt($L)", Math.class, acc);
                return CodeBlock.builder()
                        .addStatement(Code.set(ys, layout, CodeBlock.of("$N", i), done))
                        .build();
            }));
        }
        return b.build();
    }

    private static CodeBlock identity(String op, DType t) {
        return switch (op) {
            case "sum", "mean", "l2" -> CodeBlock.of("($T) 0", JavaTypes.scalar(t));
            case "prod" -> CodeBlock.of("($T) 1", JavaTypes.scalar(t));
            case "max" ->
                switch (t) {
                    case F64 -> CodeBlock.of("$T.NEGATIVE_INFINITY", Double.class);
                    case I64 -> CodeBlock.of("$T.MIN_VALUE", Long.class);
                    case I32 -> CodeBlock.of("$T.MIN_VALUE", Integer.class);
                    case BOOL -> CodeBlock.of("(byte) 0");
                    default -> throw new IllegalStateException("no scalar reduce_max over " + t.irName());
                };
            case "min" ->
                switch (t) {
                    case F64 -> CodeBlock.of("$T.POSITIVE_INFINITY", Double.class);
                    case I64 -> CodeBlock.of("$T.MAX_VALUE", Long.class);
                    case I32 -> CodeBlock.of("$T.MAX_VALUE", Integer.class);
                    case BOOL -> CodeBlock.of("(byte) 1");
                    default -> throw new IllegalStateException("no scalar reduce_min over " + t.irName());
                };
            default -> throw new IllegalStateException("unknown reduction " + op);
        };
    }

    private static CodeBlock combine(String op, CodeBlock acc, CodeBlock x) {
        return switch (op) {
            case "sum", "mean" -> CodeBlock.of("$L + $L", acc, x);
            case "l2" -> CodeBlock.of("$L + $L * $L", acc, x, x);
            case "prod" -> CodeBlock.of("$L * $L", acc, x);
            case "max" -> CodeBlock.of("$T.max($L, $L)", Math.class, acc, x);
            case "min" -> CodeBlock.of("$T.min($L, $L)", Math.class, acc, x);
            default -> throw new IllegalStateException("unknown reduction " + op);
        };
    }
}
