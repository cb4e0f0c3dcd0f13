package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.List;

/**
 * Row-wise normalisations: {@code softmax} over the last axis runs the runtime's vectorised
 * {@code FloatMath.softmaxRows} in place on the output, in row blocks over the model's threads; {@code softmax} over another axis and
 * {@code log_softmax} use a three-pass scalar loop over {@code [outer, axis, inner]}; {@code layer_norm}
 * calls the runtime's {@code FloatMath.layerNormRows} (two-pass mean and variance, then scale and shift),
 * also in row blocks ({@code RowsParallel}).
 */
final class NormEmitter {
    /** The row kernels split over the model's threads (rows are independent; same bits as one thread). */
    static final ClassName ROWS_PARALLEL = ClassName.get("fsc.runtime.kernels", "RowsParallel");

    private NormEmitter() {}

    static CodeBlock softmax(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        int axis = Code.axis(n.intAttr("axis"), xd.size());
        DimCode dc = s.dims();
        String xs = s.segment(x, "x");
        String ys = s.segment(y, "y");
        boolean log = n.op().equals("log_softmax");
        boolean f64 = x.dtype() == DType.F64;
        if (!log && !f64 && axis == xd.size() - 1) {
            return CodeBlock.builder()
                    .addStatement(
                            "$T.copy($N, 0L, $N, 0L, $L * 4L)",
                            JavaTypes.MEMORY_SEGMENT,
                            xs,
                            ys,
                            dc.of(x.type().elementCount()))
                    .addStatement(
                            "$T.softmaxRows($N, 0L, $T.toIntExact($L), $T.toIntExact($L), $N)",
                            ROWS_PARALLEL,
                            ys,
                            Math.class,
                            dc.product(xd.subList(0, axis)),
                            Math.class,
                            dc.of(xd.get(axis)),
                            ModelContext.PAR)
                    .build();
        }
        return strided(
                s,
                xs,
                ys,
                dc.product(xd.subList(0, axis)),
                dc.of(xd.get(axis)),
                dc.product(xd.subList(axis + 1, xd.size())),
                log,
                f64);
    }

    private static CodeBlock strided(
            Scope s, String xs, String ys, CodeBlock outer, CodeBlock len, CodeBlock inner, boolean log, boolean f64) {
        // f64 (no vector kernel: ONNX's double tests) runs the same scalar loop in double.
        String t = f64 ? "double" : "float";
        String lay = f64 ? "F64" : "F32";
        String cast = f64 ? "" : "(float) ";
        Class<?> boxed = f64 ? Double.class : Float.class;
        String o = s.local("o");
        String in = s.local("in");
        String base = s.local("base");
        String r = s.local("r");
        String mx = s.local("max");
        String sum = s.local("sum");
        String e = s.local("e");
        String ln = s.local("len");
        String step = s.local("step");
        CodeBlock at = CodeBlock.of("$N + $N * $N", base, r, step);
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("long $N = $L", ln, len)
                .addStatement("long $N = $L", step, inner)
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", o, o, outer, o)
                .beginControlFlow("for (long $N = 0; $N < $N; $N++)", in, in, step, in)
                .addStatement("long $N = $N * $N * $N + $N", base, o, ln, step, in)
                .addStatement("$L $N = $T.NEGATIVE_INFINITY", t, mx, boxed)
                .beginControlFlow("for (long $N = 0; $N < $N; $N++)", r, r, ln, r)
                .addStatement("$N = $T.max($N, $L)", mx, Math.class, mx, Code.get(xs, lay, at))
                .endControlFlow()
                .addStatement("$L $N = $L", t, sum, f64 ? "0.0" : "0f")
                .beginControlFlow("for (long $N = 0; $N < $N; $N++)", r, r, ln, r)
                .addStatement("$L $N = $L$T.exp($L - $N)", t, e, cast, Math.class, Code.get(xs, lay, at), mx)
                .addStatement("$N += $N", sum, e)
                .addStatement(Code.set(ys, lay, at, CodeBlock.of("$N", e)))
                .endControlFlow();
        if (log) {
            b.addStatement("$N = $N + $L$T.log($N)", sum, mx, cast, Math.class, sum)
                    .beginControlFlow("for (long $N = 0; $N < $N; $N++)", r, r, ln, r)
                    .addStatement(Code.set(ys, lay, at, CodeBlock.of("$L - $N", Code.get(xs, lay, at), sum)))
                    .endControlFlow();
        } else {
            b.addStatement("$N = $L / $N", sum, f64 ? "1.0" : "1f", sum)
                    .beginControlFlow("for (long $N = 0; $N < $N; $N++)", r, r, ln, r)
                    .addStatement(Code.set(ys, lay, at, CodeBlock.of("$L * $N", Code.get(ys, lay, at), sum)))
                    .endControlFlow();
        }
        return b.endControlFlow().endControlFlow().build();
    }

    static CodeBlock layerNorm(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value scale = n.input(1);
        Value bias = n.inputs().size() > 2 ? n.input(2) : null;
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        int axis = Code.axis(n.intAttr("axis"), xd.size());
        Dim d = Dim.product(xd.subList(axis, xd.size()));
        for (Value p : bias == null ? List.of(scale) : List.of(scale, bias)) {
            if (!p.type().elementCount().equals(d)) {
                throw new FscException(n.where() + ": scale/bias " + p.type() + " must have the " + d
                        + " elements of the normalised dimensions");
            }
        }
        DimCode dc = s.dims();
        String xs = s.segment(x, "x");
        String gs = s.segment(scale, "scale");
        String ys = s.segment(y, "y");
        float eps = (float) n.floatAttr("epsilon");
        // One shared runtime kernel rather than a loop per node: every layer's norm then runs the
        // same JIT-compiled code, which C2 compiles once and early instead of once per layer.
        return CodeBlock.builder()
                .addStatement(
                        "$T.layerNormRows($N, 0L, $N, 0L, $T.toIntExact($L), $T.toIntExact($L), $N, 0L, $L, 0L, $Lf,"
                                + " $N)",
                        ROWS_PARALLEL,
                        xs,
                        ys,
                        Math.class,
                        dc.product(xd.subList(0, axis)),
                        Math.class,
                        dc.of(d),
                        gs,
                        bias == null ? "null" : s.segment(bias, "bias"),
                        eps,
                        ModelContext.PAR)
                .build();
    }

    /**
     * {@code y = x / sqrt(mean(x²) + eps) * scale} per row, as a call of the shared runtime kernel
     * ({@code RmsNorm}, split over row blocks): a loop per node runs once per decoder step, too rarely
     * for C2 to compile it in a benchmark's time, while the shared kernel is compiled in the first step.
     */
    static CodeBlock rmsNorm(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value scale = n.input(1);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        int axis = Code.axis(n.intAttr("axis"), xd.size());
        Dim d = Dim.product(xd.subList(axis, xd.size()));
        if (!scale.type().elementCount().equals(d)) {
            throw new FscException(n.where() + ": scale " + scale.type() + " must have the " + d
                    + " elements of the normalised dimensions");
        }
        DimCode dc = s.dims();
        String xs = s.segment(x, "x");
        String gs = s.segment(scale, "scale");
        String ys = s.segment(y, "y");
        float eps = (float) n.floatAttr("epsilon");
        return CodeBlock.builder()
                .addStatement(
                        "$T.rmsNormRows($N, $N, $T.toIntExact($L), $T.toIntExact($L), $N, $Lf, $N)",
                        ROWS_PARALLEL,
                        xs,
                        ys,
                        Math.class,
                        dc.product(xd.subList(0, axis)),
                        Math.class,
                        dc.of(d),
                        gs,
                        eps,
                        ModelContext.PAR)
                .build();
    }

    /**
     * {@code batch_norm} (inference): per channel {@code a = scale / sqrt(var + eps)} and
     * {@code b = bias - mean * a}, then {@code y = x * a + b} over the channel's spatial run.
     */
    static CodeBlock batchNorm(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        DimCode dc = s.dims();
        String xs = s.segment(x, "x");
        String gs = s.segment(n.input(1), "scale");
        String bs = s.segment(n.input(2), "bias");
        String ms = s.segment(n.input(3), "mean");
        String vs = s.segment(n.input(4), "var");
        String ys = s.segment(y, "y");
        String channels = s.local("channels");
        String len = s.local("len");
        String b = s.local("b");
        String c = s.local("c");
        String base = s.local("base");
        String mul = s.local("mul");
        String add = s.local("add");
        String vm = s.local("vmul");
        String va = s.local("vadd");
        float eps = (float) n.floatAttr("epsilon");
        return CodeBlock.builder()
                .addStatement("long $N = $L", channels, dc.of(xd.get(1)))
                .addStatement("long $N = $L", len, dc.product(xd.subList(2, xd.size())))
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", b, b, dc.of(xd.get(0)), b)
                .beginControlFlow("for (long $N = 0; $N < $N; $N++)", c, c, channels, c)
                .addStatement("long $N = ($N * $N + $N) * $N", base, b, channels, c, len)
                .addStatement(
                        "float $N = $N.getAtIndex(F32, $N) / (float) $T.sqrt($N.getAtIndex(F32, $N) + $Lf)",
                        mul,
                        gs,
                        c,
                        Math.class,
                        vs,
                        c,
                        eps)
                .addStatement("float $N = $N.getAtIndex(F32, $N) - $N.getAtIndex(F32, $N) * $N", add, bs, c, ms, c, mul)
                .addStatement("$T $N = $L", JavaTypes.FLOAT_VECTOR, vm, Code.broadcast(CodeBlock.of("$N", mul)))
                .addStatement("$T $N = $L", JavaTypes.FLOAT_VECTOR, va, Code.broadcast(CodeBlock.of("$N", add)))
                .add(Code.vectorLoop(
                        s,
                        CodeBlock.of("$N", len),
                        i -> CodeBlock.builder()
                                .addStatement(Code.store(
                                        CodeBlock.of(
                                                "$L.fma($N, $N)",
                                                Code.load(xs, CodeBlock.of("$N + $N", base, i)),
                                                vm,
                                                va),
                                        ys,
                                        CodeBlock.of("$N + $N", base, i)))
                                .build(),
                        i -> CodeBlock.builder()
                                .addStatement(Code.set(
                                        ys,
                                        "F32",
                                        CodeBlock.of("$N + $N", base, i),
                                        CodeBlock.of(
                                                "$L * $N + $N",
                                                Code.get(xs, "F32", CodeBlock.of("$N + $N", base, i)),
                                                mul,
                                                add)))
                                .build()))
                .endControlFlow()
                .endControlFlow()
                .build();
    }
}
