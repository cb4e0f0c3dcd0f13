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
 * Element-wise ops: binary ops with numpy broadcasting, comparisons and logic (bool out), unary math,
 * and {@code where}. Broadcasting goes through {@link LoopNest}, so the common cases (same shape, a
 * scalar side, a bias row, a {@code [B,1,1,S]} mask) all end in a contiguous inner dimension that is
 * walked with float vectors and a scalar tail; anything else falls back to the strided scalar loop.
 */
final class ElementwiseEmitter {
    private ElementwiseEmitter() {}

    static final float INV_SQRT2 = 0.70710677f;
    static final float SQRT_2_OVER_PI = 0.7978846f;

    // ---- binary -------------------------------------------------------------------------------

    static final com.palantir.javapoet.ClassName ADD_KERNEL =
            com.palantir.javapoet.ClassName.get("fsc.runtime.kernels", "AddKernel");

    static final com.palantir.javapoet.ClassName HALF_ELEMENTWISE =
            com.palantir.javapoet.ClassName.get("fsc.runtime.kernels", "HalfElementwise");

    static CodeBlock binary(Scope s) {
        Node n = s.node();
        Value a = n.input(0);
        Value b = n.input(1);
        Value y = n.output();
        List<Dim> dims = y.type().dims();
        String op = squareOrOp(s, n);
        DType t = a.dtype();
        if (op.equals("add")
                && (t == DType.F32 || t == DType.F16)
                && b.dtype() == t
                && y.dtype() == t
                && a.type().dims().equals(dims)
                && b.type().dims().equals(dims)) {
            // Same-shape add (a residual): the shared runtime kernel, compiled once by C2 for every
            // such node (f16: machine code where the CPU has AVX-512), not a loop per node that a
            // decoder, or a big model's JIT queue, reaches too late.
            return CodeBlock.builder()
                    .addStatement(
                            "$T.$L($N, $N, $N, $L, $N)",
                            t == DType.F32 ? ADD_KERNEL : HALF_ELEMENTWISE,
                            t == DType.F32 ? "run" : "add",
                            s.segment(a, "a"),
                            s.segment(b, "b"),
                            s.segment(y, "y"),
                            s.dims().product(dims),
                            ModelContext.PAR)
                    .build();
        }
        LoopNest nest = LoopNest.of(
                dims,
                List.of(
                        DimCode.contiguousStrides(dims),
                        Code.broadcastStrides(a.type().dims(), dims),
                        Code.broadcastStrides(b.type().dims(), dims)));
        String ys = s.segment(y, "y");
        String as = s.segment(a, "a");
        String bs = s.segment(b, "b");
        long fmod = n.op().equals("mod") ? n.intAttr("fmod") : 0; // only mod declares fmod
        boolean vector = t == DType.F32
                && b.dtype() == DType.F32
                && y.dtype() == DType.F32
                && !op.equals("mod")
                // No vector pow: lanewise(POW)'s bits depend on the JIT tier (see vectorUnary).
                && !op.equals("pow")
                && nest.innerUnitOrBroadcast();
        CodeBlock zero = CodeBlock.of("0L");
        WarmedLoop warm = vector ? new WarmedLoop(s) : null;
        CodeBlock loops = nest.emit(s, List.of(ys, as, bs), List.of(zero, zero, zero), (count, off) -> {
            DimCode dc = s.dims();
            Dim sy = nest.innerStride(0);
            Dim sa = nest.innerStride(1);
            Dim sb = nest.innerStride(2);
            // Pow may take its exponent in another type (ONNX Pow-15): each operand is read as its own type.
            java.util.function.Function<String, CodeBlock> scalar = i -> CodeBlock.builder()
                    .addStatement(ElemCode.store(
                            ys,
                            y.dtype(),
                            Code.index(dc, off.get(0), sy, i),
                            scalarBinary(
                                    op,
                                    t,
                                    y.dtype(),
                                    ElemCode.load(as, t, Code.index(dc, off.get(1), sa, i)),
                                    ElemCode.load(bs, b.dtype(), Code.index(dc, off.get(2), sb, i)),
                                    fmod)))
                    .build();
            if (!vector) {
                return Code.scalarLoop(s, count, scalar);
            }
            CodeBlock.Builder pre = CodeBlock.builder();
            CodeBlock va = vectorOperand(s, pre, as, off.get(1), sa, "va");
            // A square reads only its left operand.
            CodeBlock vb = op.equals("square") ? CodeBlock.of("") : vectorOperand(s, pre, bs, off.get(2), sb, "vb");
            return warm.loop(
                    count,
                    pre.build(),
                    i -> CodeBlock.builder()
                            .addStatement(Code.store(
                                    vectorBinary(
                                            op,
                                            va.isEmpty() ? Code.load(as, idx(off.get(1), i)) : va,
                                            vb.isEmpty() ? Code.load(bs, idx(off.get(2), i)) : vb),
                                    ys,
                                    idx(off.get(0), i)))
                            .build(),
                    scalar,
                    List.of(
                            new WarmedLoop.Operand(as, off.get(1), DimCode.isZero(sa)),
                            new WarmedLoop.Operand(bs, off.get(2), DimCode.isZero(sb))),
                    new WarmedLoop.Operand(ys, off.get(0), false),
                    (v, body) -> laneBinary(op, v.get(0), v.get(1)));
        });
        return vector ? warm.wrap(loops) : loops;
    }

    private static CodeBlock idx(String off, String i) {
        return CodeBlock.of("$N + $N", off, i);
    }

    /** A broadcast operand is loaded into a vector once, before the loop; a streamed one returns empty. */
    private static CodeBlock vectorOperand(
            Scope s, CodeBlock.Builder pre, String seg, String off, Dim stride, String hint) {
        if (!DimCode.isZero(stride)) {
            return CodeBlock.of("");
        }
        String v = s.local(hint);
        pre.addStatement(
                "$T $N = $L", JavaTypes.FLOAT_VECTOR, v, Code.broadcast(Code.get(seg, "F32", CodeBlock.of("$N", off))));
        return CodeBlock.of("$N", v);
    }

    /** {@code pow(x, 2)} with a constant exponent (LayerNorm variance in ONNX exports) becomes a multiply. */
    private static String squareOrOp(Scope s, Node n) {
        if (n.op().equals("pow") && n.input(0).dtype().isFloat()) {
            Double e = s.model().weights().scalarValue(n.input(1));
            if (e != null && e == 2.0) {
                return "square";
            }
        }
        return n.op();
    }

    /**
     * {@code a op b} on operands of {@code t}'s compute type (see {@link ElemCode}), giving a value of
     * {@code out}'s compute type. u64 is the one type whose signed long operators are wrong.
     */
    static CodeBlock scalarBinary(String op, DType t, DType out, CodeBlock a, CodeBlock b, long fmod) {
        if (ElemCode.unsignedLong(t)) {
            CodeBlock u = unsignedBinary(op, a, b);
            if (u != null) {
                return u;
            }
        }
        CodeBlock e =
                switch (op) {
                    case "add" -> CodeBlock.of("$L + $L", a, b);
                    case "sub" -> CodeBlock.of("$L - $L", a, b);
                    case "mul" -> CodeBlock.of("$L * $L", a, b);
                    case "square" -> CodeBlock.of("$L * $L", a, a);
                    case "div" -> CodeBlock.of("$L / $L", a, b);
                    case "pow" -> CodeBlock.of("$T.pow($L, $L)", Math.class, a, b);
                    case "max" -> CodeBlock.of("$T.max($L, $L)", Math.class, a, b);
                    case "min" -> CodeBlock.of("$T.min($L, $L)", Math.class, a, b);
                    case "mod" ->
                        fmod == 1 || t.isFloat()
                                ? CodeBlock.of("$L % $L", a, b)
                                : CodeBlock.of("$T.floorMod($L, $L)", Math.class, a, b);
                    case "equal" -> CodeBlock.of("$L == $L ? 1 : 0", a, b);
                    case "less" -> CodeBlock.of("$L < $L ? 1 : 0", a, b);
                    case "less_or_equal" -> CodeBlock.of("$L <= $L ? 1 : 0", a, b);
                    case "greater" -> CodeBlock.of("$L > $L ? 1 : 0", a, b);
                    case "greater_or_equal" -> CodeBlock.of("$L >= $L ? 1 : 0", a, b);
                    case "and" -> CodeBlock.of("$L & $L", a, b);
                    case "or" -> CodeBlock.of("$L | $L", a, b);
                    case "xor", "bitwise_xor" -> CodeBlock.of("$L ^ $L", a, b);
                    case "bitwise_and" -> CodeBlock.of("$L & $L", a, b);
                    case "bitwise_or" -> CodeBlock.of("$L | $L", a, b);
                    case "bit_shift_left", "bit_shift_right" -> shift(op, t, a, b);
                    default -> throw new IllegalStateException("not a binary op: " + op);
                };
        // Pow runs in double; narrow operands (byte, short) promote to int, which is their compute type.
        return op.equals("pow") ? CodeBlock.of("($T) ($L)", ElemCode.compute(out), e) : e;
    }

    /**
     * ONNX BitShift on unsigned compute values (zero-extended into int or long, u64 as raw bits): a
     * shift by the compute width or more gives 0, as numpy does (Java would take the amount modulo the
     * width); smaller amounts past the element width leave only bits the narrowing store drops.
     */
    private static CodeBlock shift(String op, DType t, CodeBlock a, CodeBlock b) {
        String operator = op.equals("bit_shift_left") ? "<<" : ">>>";
        if (ElemCode.compute(t).equals(TypeName.LONG)) {
            return CodeBlock.of("($T.compareUnsigned($L, 64L) >= 0 ? 0L : $L $L $L)", Long.class, b, a, operator, b);
        }
        return CodeBlock.of("($L >= 32 ? 0 : $L $L $L)", b, a, operator, b);
    }

    /** u64 forms of the ops whose signed long operators differ; null where signed is right (add, mul, ...). */
    private static CodeBlock unsignedBinary(String op, CodeBlock a, CodeBlock b) {
        return switch (op) {
            case "div" -> CodeBlock.of("$T.divideUnsigned($L, $L)", Long.class, a, b);
            case "mod" -> CodeBlock.of("$T.remainderUnsigned($L, $L)", Long.class, a, b);
            case "max" -> CodeBlock.of("$T.compareUnsigned($L, $L) >= 0 ? $L : $L", Long.class, a, b, a, b);
            case "min" -> CodeBlock.of("$T.compareUnsigned($L, $L) <= 0 ? $L : $L", Long.class, a, b, a, b);
            case "less" -> CodeBlock.of("$T.compareUnsigned($L, $L) < 0 ? 1 : 0", Long.class, a, b);
            case "less_or_equal" -> CodeBlock.of("$T.compareUnsigned($L, $L) <= 0 ? 1 : 0", Long.class, a, b);
            case "greater" -> CodeBlock.of("$T.compareUnsigned($L, $L) > 0 ? 1 : 0", Long.class, a, b);
            case "greater_or_equal" -> CodeBlock.of("$T.compareUnsigned($L, $L) >= 0 ? 1 : 0", Long.class, a, b);
            default -> null;
        };
    }

    static CodeBlock vectorBinary(String op, CodeBlock a, CodeBlock b) {
        return switch (op) {
            case "add" -> CodeBlock.of("$L.add($L)", a, b);
            case "sub" -> CodeBlock.of("$L.sub($L)", a, b);
            case "mul" -> CodeBlock.of("$L.mul($L)", a, b);
            case "square" -> CodeBlock.of("$N($L)", VectorHelpers.SQUARE, a);
            case "div" -> CodeBlock.of("$L.div($L)", a, b);
            case "max" -> CodeBlock.of("$L.max($L)", a, b);
            case "min" -> CodeBlock.of("$L.min($L)", a, b);
            default -> throw new IllegalStateException("no vector form for " + op);
        };
    }

    /**
     * One lane of {@link #vectorBinary} as float arithmetic, for the loop's scalar twin
     * ({@link WarmedLoop}): the Vector API defines each lanewise op as this Java operator or
     * {@code Math} method, so the bits are the same.
     */
    static CodeBlock laneBinary(String op, CodeBlock a, CodeBlock b) {
        return switch (op) {
            case "add" -> CodeBlock.of("$L + $L", a, b);
            case "sub" -> CodeBlock.of("$L - $L", a, b);
            case "mul" -> CodeBlock.of("$L * $L", a, b);
            case "square" -> CodeBlock.of("$N($L)", VectorHelpers.SQUARE, a);
            case "div" -> CodeBlock.of("$L / $L", a, b);
            case "max" -> CodeBlock.of("$T.max($L, $L)", Math.class, a, b);
            case "min" -> CodeBlock.of("$T.min($L, $L)", Math.class, a, b);
            default -> throw new IllegalStateException("no vector form for " + op);
        };
    }

    // ---- unary --------------------------------------------------------------------------------

    static CodeBlock unary(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        String xs = s.segment(x, "x");
        String ys = s.segment(y, "y");
        DType t = x.dtype();
        String op = n.op().equals("gelu") ? "gelu_" + n.strAttr("approximate") : n.op();
        CodeBlock count = s.dims().of(y.type().elementCount());
        java.util.function.Function<String, CodeBlock> scalar = i -> CodeBlock.builder()
                .addStatement(ElemCode.store(
                        ys,
                        y.dtype(),
                        CodeBlock.of("$N", i),
                        scalarUnary(op, t, ElemCode.load(xs, t, CodeBlock.of("$N", i)))))
                .build();
        if (t == DType.F16 && y.dtype() == DType.F16 && op.equals("sigmoid")) {
            // The shared f16 kernel, the same expression: a loop per node is reached late by the JIT.
            return CodeBlock.builder()
                    .addStatement("$T.sigmoid($N, $N, $L, $N)", HALF_ELEMENTWISE, xs, ys, count, ModelContext.PAR)
                    .build();
        }
        if (t == DType.F32 && (op.equals("gelu_none") || op.equals("erf"))) {
            // erf's vector body is too big to be inlined reliably; a loop kernel keeps its vectors
            // in registers (FloatMath.gelu says why a vector helper allocated in steady state).
            return CodeBlock.builder()
                    .addStatement(
                            "$T.$L($N, 0L, $N, 0L, $L)",
                            JavaTypes.FLOAT_MATH,
                            op.equals("erf") ? "erf" : "gelu",
                            xs,
                            ys,
                            count)
                    .build();
        }
        CodeBlock probe = t == DType.F32 ? vectorUnary(op, CodeBlock.of("v")) : null;
        if (probe == null) {
            return Code.scalarLoop(s, count, scalar);
        }
        WarmedLoop warm = new WarmedLoop(s);
        return warm.wrap(warm.loop(
                count,
                CodeBlock.of(""),
                i -> CodeBlock.builder()
                        .addStatement(Code.store(
                                vectorUnary(op, Code.load(xs, CodeBlock.of("$N", i))), ys, CodeBlock.of("$N", i)))
                        .build(),
                scalar,
                List.of(new WarmedLoop.Operand(xs, null, false)),
                new WarmedLoop.Operand(ys, null, false),
                (v, body) -> laneUnary(op, v.get(0))));
    }

    /** {@code op x} on a value of {@code t}'s compute type (see {@link ElemCode}), giving the same type. */
    static CodeBlock scalarUnary(String op, DType t, CodeBlock x) {
        CodeBlock trig = trigonometric(op, x);
        if (trig != null) {
            // Computed in double either way; a float result is rounded once.
            return t == DType.F64 ? trig : CodeBlock.of("(float) $L", trig);
        }
        if (t == DType.F64) {
            return doubleUnary(op, x);
        }
        TypeName c = ElemCode.compute(t);
        boolean f32 = c.equals(TypeName.FLOAT);
        CodeBlock e =
                switch (op) {
                    case "neg" -> CodeBlock.of("-$L", x);
                    case "abs" -> CodeBlock.of("$T.abs($L)", Math.class, x);
                    case "relu" ->
                        f32
                                ? CodeBlock.of("$T.max($L, 0f)", Math.class, x)
                                : CodeBlock.of("$T.max($L, 0)", Math.class, x);
                    case "sign" ->
                        f32
                                ? CodeBlock.of("$T.signum($L)", Math.class, x)
                                : CodeBlock.of("$T.signum($L)", Long.class, x);
                    case "not" -> CodeBlock.of("$L ^ 1", x);
                    case "bitwise_not" -> CodeBlock.of("~$L", x);
                    case "sqrt" -> CodeBlock.of("(float) $T.sqrt($L)", Math.class, x);
                    case "reciprocal" -> CodeBlock.of("1f / $L", x);
                    case "exp" -> CodeBlock.of("(float) $T.exp($L)", Math.class, x);
                    case "log" -> CodeBlock.of("(float) $T.log($L)", Math.class, x);
                    case "erf" -> CodeBlock.of("$T.erf($L)", JavaTypes.FLOAT_MATH, x);
                    case "tanh" -> CodeBlock.of("(float) $T.tanh($L)", Math.class, x);
                    case "sigmoid" -> CodeBlock.of("1f / (1f + (float) $T.exp(-$L))", Math.class, x);
                    case "silu" -> CodeBlock.of("$L / (1f + (float) $T.exp(-$L))", x, Math.class, x);
                    case "floor" -> CodeBlock.of("(float) $T.floor($L)", Math.class, x);
                    case "ceil" -> CodeBlock.of("(float) $T.ceil($L)", Math.class, x);
                    case "round" -> CodeBlock.of("(float) $T.rint($L)", Math.class, x);
                    case "sin" -> CodeBlock.of("(float) $T.sin($L)", Math.class, x);
                    case "cos" -> CodeBlock.of("(float) $T.cos($L)", Math.class, x);
                    case "gelu_none" ->
                        CodeBlock.of("0.5f * $L * (1f + $T.erf($L * $Lf))", x, JavaTypes.FLOAT_MATH, x, INV_SQRT2);
                    case "gelu_tanh" ->
                        CodeBlock.of(
                                "0.5f * $L * (1f + (float) $T.tanh($Lf * ($L + 0.044715f * $L * $L * $L)))",
                                x,
                                Math.class,
                                SQRT_2_OVER_PI,
                                x,
                                x,
                                x,
                                x);
                    default -> throw new IllegalStateException("not a unary op: " + op);
                };
        // Long.signum answers an int; every other integer form already has the compute type.
        return c.equals(TypeName.LONG) && op.equals("sign") ? CodeBlock.of("($T) $L", c, e) : e;
    }

    /**
     * ONNX's trigonometric and hyperbolic ops beyond sin/cos as a double expression: {@link Math}'s
     * where it has the function, the runtime's {@code InverseHyperbolic} for asinh/acosh/atanh;
     * null for any other op.
     */
    private static CodeBlock trigonometric(String op, CodeBlock x) {
        return switch (op) {
            case "tan", "asin", "acos", "atan", "sinh", "cosh" -> CodeBlock.of("$T.$L($L)", Math.class, op, x);
            case "asinh", "acosh", "atanh" -> CodeBlock.of("$T.$L($L)", JavaTypes.INVERSE_HYPERBOLIC, op, x);
            default -> null;
        };
    }

    /** f64 unary ops in double arithmetic throughout (the f32 forms above round through float). */
    private static CodeBlock doubleUnary(String op, CodeBlock x) {
        return switch (op) {
            case "neg" -> CodeBlock.of("-$L", x);
            case "abs", "sqrt", "exp", "log", "tanh", "floor", "ceil", "sin", "cos" ->
                CodeBlock.of("$T.$L($L)", Math.class, op, x);
            case "sign" -> CodeBlock.of("$T.signum($L)", Math.class, x);
            case "round" -> CodeBlock.of("$T.rint($L)", Math.class, x);
            case "relu" -> CodeBlock.of("$T.max($L, 0.0)", Math.class, x);
            case "reciprocal" -> CodeBlock.of("1.0 / $L", x);
            case "sigmoid" -> CodeBlock.of("1.0 / (1.0 + $T.exp(-$L))", Math.class, x);
            default -> throw new IllegalStateException("no f64 form of unary op " + op);
        };
    }

    /**
     * The vector form of a float unary op, or null where only the scalar form exists. log, sin and
     * cos have none on purpose: the Vector API's LOG/SIN/COS are vendor stubs in C2 but Math per lane
     * in the interpreter and C1, so their bits would depend on the JIT tier; scalar Math is the same
     * stub in every tier.
     */
    static CodeBlock vectorUnary(String op, CodeBlock v) {
        return switch (op) {
            case "neg" -> CodeBlock.of("$L.neg()", v);
            case "abs" -> CodeBlock.of("$L.abs()", v);
            case "relu" -> CodeBlock.of("$L.max(0f)", v);
            case "sqrt" -> CodeBlock.of("$L.sqrt()", v);
            case "reciprocal" -> CodeBlock.of("$N($L)", VectorHelpers.RECIPROCAL, v);
            case "exp" -> CodeBlock.of("$T.exp($L)", JavaTypes.FLOAT_MATH, v);
            // VectorExp.tanh, not lanewise(TANH): the same bits before and after C2 (issue 16).
            case "tanh" -> CodeBlock.of("$T.tanh($L)", JavaTypes.VECTOR_EXP, v);
            case "sigmoid" -> CodeBlock.of("$N($L)", VectorHelpers.SIGMOID, v);
            case "silu" -> CodeBlock.of("$N($L)", VectorHelpers.SILU, v);
            default -> null;
        };
    }

    /**
     * One lane of {@link #vectorUnary} as float arithmetic, for the loop's scalar twin
     * ({@link WarmedLoop}): exp and tanh by VectorExp's scalar twins (not {@code Math}: the vector
     * forms are VectorExp's polynomials), the helpers by their float overloads.
     */
    static CodeBlock laneUnary(String op, CodeBlock v) {
        return switch (op) {
            case "neg" -> CodeBlock.of("-$L", v);
            case "abs" -> CodeBlock.of("$T.abs($L)", Math.class, v);
            case "relu" -> CodeBlock.of("$T.max($L, 0f)", Math.class, v);
            case "sqrt" -> CodeBlock.of("(float) $T.sqrt($L)", Math.class, v);
            case "reciprocal" -> CodeBlock.of("$N($L)", VectorHelpers.RECIPROCAL, v);
            case "exp" -> CodeBlock.of("$T.exp($L)", JavaTypes.VECTOR_EXP, v);
            case "tanh" -> CodeBlock.of("$T.tanh($L)", JavaTypes.VECTOR_EXP, v);
            case "sigmoid" -> CodeBlock.of("$N($L)", VectorHelpers.SIGMOID, v);
            case "silu" -> CodeBlock.of("$N($L)", VectorHelpers.SILU, v);
            default -> throw new IllegalStateException("no vector form for " + op);
        };
    }

    /** {@code clip} in folded form: each bound present is an attribute; a missing one does not clip. */
    static CodeBlock clip(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        String xs = s.segment(x, "x");
        String ys = s.segment(y, "y");
        DType t = x.dtype();
        CodeBlock count = s.dims().of(y.type().elementCount());
        CodeBlock lo = bound(s, 1, "min", t);
        CodeBlock hi = bound(s, 2, "max", t);
        java.util.function.Function<String, CodeBlock> scalar = i -> {
            CodeBlock v = ElemCode.load(xs, t, CodeBlock.of("$N", i));
            if (lo != null) {
                v = scalarBinary("max", t, t, v, lo, 0);
            }
            if (hi != null) {
                v = scalarBinary("min", t, t, v, hi, 0);
            }
            return CodeBlock.builder()
                    .addStatement(ElemCode.store(ys, t, CodeBlock.of("$N", i), v))
                    .build();
        };
        if (t != DType.F32) {
            return Code.scalarLoop(s, count, scalar);
        }
        WarmedLoop warm = new WarmedLoop(s);
        return warm.wrap(warm.loop(
                count,
                CodeBlock.of(""),
                i -> {
                    CodeBlock v = Code.load(xs, CodeBlock.of("$N", i));
                    if (lo != null) {
                        v = CodeBlock.of("$L.max($L)", v, lo);
                    }
                    if (hi != null) {
                        v = CodeBlock.of("$L.min($L)", v, hi);
                    }
                    return CodeBlock.builder()
                            .addStatement(Code.store(v, ys, CodeBlock.of("$N", i)))
                            .build();
                },
                scalar,
                List.of(new WarmedLoop.Operand(xs, null, false)),
                new WarmedLoop.Operand(ys, null, false),
                // The Vector API's MAX and MIN are Math.max and Math.min per lane: the scalar form is exact.
                (v, body) -> {
                    CodeBlock c = v.get(0);
                    if (lo != null) {
                        c = scalarBinary("max", t, t, c, lo, 0);
                    }
                    return hi == null ? c : scalarBinary("min", t, t, c, hi, 0);
                }));
    }

    /** A clip bound from attribute {@code attr}, or from constant operand {@code input} when unfolded; null when absent. */
    private static CodeBlock bound(Scope s, int input, String attr, DType t) {
        Node n = s.node();
        if (n.inputs().size() > input && !n.input(input).name().isEmpty()) {
            Double v = s.model().weights().scalarValue(n.input(input));
            if (v == null) {
                throw new IllegalStateException(n.where() + ": clip bound " + input + " is not a constant");
            }
            return ElemCode.literal(t, v);
        }
        return n.has(attr) ? ElemCode.literal(t, n.floatAttr(attr)) : null;
    }

    // ---- where --------------------------------------------------------------------------------

    static CodeBlock where(Scope s) {
        Node n = s.node();
        Value c = n.input(0);
        Value x = n.input(1);
        Value z = n.input(2);
        Value y = n.output();
        List<Dim> dims = y.type().dims();
        List<List<Dim>> strides = new ArrayList<>();
        strides.add(DimCode.contiguousStrides(dims));
        for (Value in : List.of(c, x, z)) {
            strides.add(Code.broadcastStrides(in.type().dims(), dims));
        }
        LoopNest nest = LoopNest.of(dims, strides);
        String ys = s.segment(y, "y");
        String cs = s.segment(c, "cond");
        String xs = s.segment(x, "x");
        String zs = s.segment(z, "z");
        String l = JavaTypes.rawLayoutField(y.dtype().blockBytes());
        CodeBlock zero = CodeBlock.of("0L");
        return nest.emit(
                s,
                List.of(ys, cs, xs, zs),
                List.of(zero, zero, zero, zero),
                (count, off) -> Code.scalarLoop(s, count, i -> {
                    DimCode dc = s.dims();
                    return CodeBlock.builder()
                            .addStatement(Code.set(
                                    ys,
                                    l,
                                    Code.index(dc, off.get(0), nest.innerStride(0), i),
                                    CodeBlock.of(
                                            "$L != 0 ? $L : $L",
                                            Code.get(cs, "I8", Code.index(dc, off.get(1), nest.innerStride(1), i)),
                                            Code.get(xs, l, Code.index(dc, off.get(2), nest.innerStride(2), i)),
                                            Code.get(zs, l, Code.index(dc, off.get(3), nest.innerStride(3), i)))))
                            .build();
                }));
    }
}
