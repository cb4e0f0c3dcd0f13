package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.TypeName;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A {@code fused @elementwise} node (built by the {@code fuse} pass) as one loop nest over its output
 * shape that evaluates the whole body per element in locals: each operand is read once per element,
 * only the result is written, no intermediate buffer exists. The nest is {@link LoopNest}'s, so the
 * operands broadcast as in {@link ElementwiseEmitter#binary}: when every operand's inner stride is 0
 * or 1 the inner loop runs on float vectors (a stride-0 operand is broadcast into a vector once per
 * row, before the loop), otherwise, or when a body op has no vector form, a strided scalar loop.
 */
final class FusedElementwiseEmitter {
    private FusedElementwiseEmitter() {}

    static final Set<String> BINARY = Set.of("add", "sub", "mul", "div", "pow", "max", "min");
    static final Set<String> UNARY =
            Set.of("sqrt", "reciprocal", "exp", "log", "erf", "tanh", "sigmoid", "neg", "abs", "relu", "gelu", "silu");

    /**
     * Unary ops this backend runs on their own rather than in a chain: erf's vector body is too big
     * for C2 to inline reliably into a chain's loop (see FloatMath.gelu), so they stay nodes that
     * call a loop kernel. A chain holding them (the CUDA backend fuses them; a cuda,java jar's Java
     * code runs the same graph) takes the scalar loop.
     */
    static final Set<String> NOT_CHAINED = Set.of("erf", "gelu");

    /**
     * Whether this emitter runs {@code n}: an {@code elementwise} fused node with one result, f32
     * throughout, whose body ops all have the result's shape (only the params broadcast).
     */
    static boolean supports(Node n) {
        if (!n.isFused() || !n.fusedKind().equals("elementwise") || n.outputs().size() != 1) {
            return false;
        }
        List<Dim> dims = n.output().type().dims();
        for (Value p : n.body().params()) {
            if (p.dtype() != DType.F32 || !p.type().isRowMajor()) {
                return false;
            }
        }
        for (Node b : n.body().nodes()) {
            boolean known = BINARY.contains(b.op()) || UNARY.contains(b.op());
            if (!known || b.outputs().size() != 1 || b.output().dtype() != DType.F32) {
                return false;
            }
            if (!b.output().type().dims().equals(dims)) {
                return false;
            }
        }
        return n.output().dtype() == DType.F32;
    }

    static CodeBlock emit(Scope s) {
        CodeBlock swiglu = siluMul(s);
        if (swiglu != null) {
            return swiglu;
        }
        Node n = s.node();
        Value y = n.output();
        List<Value> params = n.body().params();
        List<Dim> dims = y.type().dims();
        List<List<Dim>> strides = new ArrayList<>();
        strides.add(DimCode.contiguousStrides(dims));
        List<String> segs = new ArrayList<>();
        segs.add(s.segment(y, "y"));
        for (int k = 0; k < params.size(); k++) {
            strides.add(Code.broadcastStrides(n.input(k).type().dims(), dims));
            segs.add(s.segment(n.input(k), "in" + k));
        }
        LoopNest nest = LoopNest.of(dims, strides);
        Map<Value, String> ops = opNames(s, n);
        boolean vector = nest.innerUnitOrBroadcast()
                && n.body().nodes().stream()
                        .allMatch(b -> (BINARY.contains(ops.get(b.output()))
                                        && !ops.get(b.output()).equals("pow"))
                                || ElementwiseEmitter.vectorUnary(ops.get(b.output()), CodeBlock.of("v")) != null
                                || ops.get(b.output()).equals("square"));
        List<CodeBlock> zeros = segs.stream().map(x -> CodeBlock.of("0L")).toList();
        WarmedLoop warm = vector ? new WarmedLoop(s) : null;
        CodeBlock loops = nest.emit(s, segs, zeros, (count, off) -> {
            DimCode dc = s.dims();
            Function<String, CodeBlock> scalar = i -> {
                CodeBlock.Builder b = CodeBlock.builder();
                Map<Value, String> names = new IdentityHashMap<>();
                for (int k = 0; k < params.size(); k++) {
                    String p = s.local("p" + k);
                    CodeBlock idx = Code.index(dc, off.get(k + 1), nest.innerStride(k + 1), i);
                    b.addStatement("$T $N = $L", TypeName.FLOAT, p, Code.get(segs.get(k + 1), "F32", idx));
                    names.put(params.get(k), p);
                }
                String r = body(s, n, ops, names, b, TypeName.FLOAT, FusedElementwiseEmitter::scalarOp);
                CodeBlock yi = Code.index(dc, off.get(0), nest.innerStride(0), i);
                return b.addStatement(Code.set(segs.get(0), "F32", yi, CodeBlock.of("$N", r)))
                        .build();
            };
            if (!vector) {
                return Code.scalarLoop(s, count, scalar);
            }
            // Broadcast operands are constant along the inner dimension: one vector per row, hoisted.
            CodeBlock.Builder pre = CodeBlock.builder();
            Map<Value, String> hoisted = new IdentityHashMap<>();
            for (int k = 0; k < params.size(); k++) {
                if (DimCode.isZero(nest.innerStride(k + 1))) {
                    String v = s.local("b" + k);
                    CodeBlock at = Code.get(segs.get(k + 1), "F32", CodeBlock.of("$N", off.get(k + 1)));
                    pre.addStatement("$T $N = $L", JavaTypes.FLOAT_VECTOR, v, Code.broadcast(at));
                    hoisted.put(params.get(k), v);
                }
            }
            Function<String, CodeBlock> vec = i -> {
                CodeBlock.Builder b = CodeBlock.builder();
                Map<Value, String> names = new IdentityHashMap<>(hoisted);
                for (int k = 0; k < params.size(); k++) {
                    if (!names.containsKey(params.get(k))) {
                        String p = s.local("v" + k);
                        CodeBlock at = Code.load(segs.get(k + 1), CodeBlock.of("$N + $N", off.get(k + 1), i));
                        b.addStatement("$T $N = $L", JavaTypes.FLOAT_VECTOR, p, at);
                        names.put(params.get(k), p);
                    }
                }
                String r = body(s, n, ops, names, b, JavaTypes.FLOAT_VECTOR, FusedElementwiseEmitter::vectorOp);
                return b.addStatement(
                                Code.store(CodeBlock.of("$N", r), segs.get(0), CodeBlock.of("$N + $N", off.get(0), i)))
                        .build();
            };
            List<WarmedLoop.Operand> in = new ArrayList<>();
            for (int k = 0; k < params.size(); k++) {
                in.add(new WarmedLoop.Operand(
                        segs.get(k + 1), off.get(k + 1), DimCode.isZero(nest.innerStride(k + 1))));
            }
            WarmedLoop.Lane lane = (values, b) -> {
                Map<Value, String> names = new IdentityHashMap<>();
                for (int k = 0; k < params.size(); k++) {
                    String p = s.local("p" + k);
                    b.addStatement("$T $N = $L", TypeName.FLOAT, p, values.get(k));
                    names.put(params.get(k), p);
                }
                return CodeBlock.of("$N", body(s, n, ops, names, b, TypeName.FLOAT, FusedElementwiseEmitter::laneOp));
            };
            return warm.loop(
                    count, pre.build(), vec, scalar, in, new WarmedLoop.Operand(segs.get(0), off.get(0), false), lane);
        });
        return vector ? warm.wrap(loops) : loops;
    }

    static final com.palantir.javapoet.ClassName SILU_MUL =
            com.palantir.javapoet.ClassName.get("fsc.runtime.kernels", "SiluMul");

    /**
     * A body that is exactly {@code silu(a) * b} over two operands of the result's shape (an LLM's
     * SwiGLU) as a call of the shared runtime kernel {@code SiluMul}, which computes the same
     * operations in the same order as the loop below would. A loop per node runs once per decoder
     * step, too rarely for C2 to compile it within a benchmark; the shared kernel is compiled in the
     * first step and split over the team. Null for any other body.
     */
    private static CodeBlock siluMul(Scope s) {
        Node n = s.node();
        List<Node> body = n.body().nodes();
        List<Value> params = n.body().params();
        if (body.size() != 2
                || params.size() != 2
                || !body.get(0).op().equals("silu")
                || !body.get(1).op().equals("mul")) {
            return null;
        }
        Value silu = body.get(0).output();
        Value gate = body.get(0).input(0);
        List<Value> mulIn = body.get(1).inputs();
        Value up = mulIn.get(0) == silu ? mulIn.get(1) : mulIn.get(1) == silu ? mulIn.get(0) : null;
        List<Dim> dims = n.output().type().dims();
        if (up == null
                || up == gate
                || !params.contains(gate)
                || !params.contains(up)
                || n.body().results().getFirst() != body.get(1).output()) {
            return null;
        }
        Value gateIn = n.input(params.indexOf(gate));
        Value upIn = n.input(params.indexOf(up));
        if (!gateIn.type().dims().equals(dims) || !upIn.type().dims().equals(dims)) {
            return null;
        }
        return CodeBlock.builder()
                .addStatement(
                        "$T.run($N, $N, $N, $L, $N)",
                        SILU_MUL,
                        s.segment(gateIn, "gate"),
                        s.segment(upIn, "up"),
                        s.segment(n.output(), "y"),
                        s.dims().product(dims),
                        ModelContext.PAR)
                .build();
    }

    /** One expression builder: the op name and its operands' expressions. */
    private interface OpForm {
        CodeBlock apply(String op, List<CodeBlock> args);
    }

    /** Declares one local of {@code type} per body node, in order; returns the result's local. */
    private static String body(
            Scope s,
            Node n,
            Map<Value, String> ops,
            Map<Value, String> names,
            CodeBlock.Builder b,
            TypeName type,
            OpForm form) {
        for (Node m : n.body().nodes()) {
            List<CodeBlock> args = m.inputs().stream()
                    .map(v -> CodeBlock.of("$N", names.get(v)))
                    .toList();
            String t = s.local("t");
            b.addStatement("$T $N = $L", type, t, form.apply(ops.get(m.output()), args));
            names.put(m.output(), t);
        }
        return names.get(n.body().results().getFirst());
    }

    private static CodeBlock scalarOp(String op, List<CodeBlock> a) {
        return byArity(
                op,
                a,
                (x, y) -> ElementwiseEmitter.scalarBinary(op, DType.F32, DType.F32, x, y, 0),
                x -> ElementwiseEmitter.scalarUnary(op, DType.F32, x));
    }

    /** One lane of {@link #vectorOp}, in float arithmetic (the loop's scalar twin). */
    private static CodeBlock laneOp(String op, List<CodeBlock> a) {
        return byArity(
                op, a, (x, y) -> ElementwiseEmitter.laneBinary(op, x, y), x -> ElementwiseEmitter.laneUnary(op, x));
    }

    private static CodeBlock vectorOp(String op, List<CodeBlock> a) {
        return byArity(
                op, a, (x, y) -> ElementwiseEmitter.vectorBinary(op, x, y), x -> ElementwiseEmitter.vectorUnary(op, x));
    }

    /** A body op by one family of forms: binary with two operands, unary with one; a square reads its one twice. */
    private static CodeBlock byArity(
            String op,
            List<CodeBlock> a,
            java.util.function.BinaryOperator<CodeBlock> binary,
            java.util.function.UnaryOperator<CodeBlock> unary) {
        if (op.equals("square")) {
            return binary.apply(a.get(0), a.get(0));
        }
        return a.size() == 2 ? binary.apply(a.get(0), a.get(1)) : unary.apply(a.get(0));
    }

    /**
     * The emitter op name per body node: {@code gelu} with its approximation as in
     * {@link ElementwiseEmitter#unary}, and {@code pow} by a constant 2 (an operand that is a scalar
     * weight) as a multiply, as {@link ElementwiseEmitter#binary} does.
     */
    private static Map<Value, String> opNames(Scope s, Node n) {
        Map<Value, Value> outer = new IdentityHashMap<>();
        for (int k = 0; k < n.inputs().size(); k++) {
            outer.put(n.body().params().get(k), n.input(k));
        }
        Map<Value, String> ops = new IdentityHashMap<>();
        for (Node m : n.body().nodes()) {
            String op = m.op();
            if (op.equals("gelu")) {
                op = "gelu_" + m.strAttr("approximate");
            } else if (op.equals("pow") && outer.containsKey(m.input(1))) {
                Double e = s.model().weights().scalarValue(outer.get(m.input(1)));
                if (e != null && e == 2.0) {
                    op = "square";
                }
            }
            ops.put(m.output(), op);
        }
        return ops;
    }
}
