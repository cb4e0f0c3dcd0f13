package fsc.backend.cuda;

import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The one declared table of what the CUDA backend generates: (op, element type of the first operand,
 * element type of the output) → emitter. {@link #check} runs before emission and names every
 * unsupported node at once; nothing is discovered by catching exceptions while emitting.
 */
public final class CudaKernelSupport {
    private CudaKernelSupport() {}

    /** One row of the table; {@code extra} is a structural condition beyond dtypes (rank, fusability). */
    record Row(
            String op,
            Set<DType> in,
            Set<DType> out,
            Function<Node, Boolean> extra,
            Function<KernelScope, List<Kernel>> emit) {}

    /** Most nodes are one kernel. */
    private static Function<KernelScope, List<Kernel>> one(Function<KernelScope, Kernel> emit) {
        return s -> List.of(emit.apply(s));
    }

    static final Set<DType> FLOATS = EnumSet.of(DType.F32, DType.F16, DType.BF16);
    static final Set<DType> NUMERIC = EnumSet.of(DType.F32, DType.F16, DType.BF16, DType.F64, DType.I64, DType.I32);
    static final Set<DType> PLAIN = EnumSet.of(
            DType.F32,
            DType.F16,
            DType.BF16,
            DType.F64,
            DType.I64,
            DType.I32,
            DType.I16,
            DType.I8,
            DType.U8,
            DType.BOOL);
    private static final Set<DType> BOOL = EnumSet.of(DType.BOOL);
    private static final Function<Node, Boolean> ANY = n -> true;

    static final List<Row> TABLE = table();

    private static List<Row> table() {
        List<Row> t = new ArrayList<>();
        for (String op : List.of("add", "sub", "mul", "div", "pow", "max", "min", "mod")) {
            t.add(new Row(op, NUMERIC, NUMERIC, ANY, one(ElementwiseCuda::plain)));
        }
        for (String op : List.of("equal", "less", "less_or_equal", "greater", "greater_or_equal")) {
            t.add(new Row(op, NUMERIC, BOOL, ANY, one(ElementwiseCuda::plain)));
        }
        for (String op : List.of("and", "or", "xor", "not")) {
            t.add(new Row(op, BOOL, BOOL, ANY, one(ElementwiseCuda::plain)));
        }
        for (String op : List.of(
                "sqrt",
                "reciprocal",
                "exp",
                "log",
                "erf",
                "tanh",
                "sigmoid",
                "floor",
                "ceil",
                "round",
                "sin",
                "cos",
                "gelu",
                "silu",
                "clip")) {
            t.add(new Row(op, FLOATS, FLOATS, ANY, one(ElementwiseCuda::plain)));
        }
        for (String op : List.of("neg", "abs", "relu", "sign")) {
            t.add(new Row(op, NUMERIC, NUMERIC, ANY, one(ElementwiseCuda::plain)));
        }
        t.add(new Row("where", BOOL, PLAIN, ANY, one(ElementwiseCuda::plain)));
        t.add(new Row("cast", PLAIN, PLAIN, ANY, one(ElementwiseCuda::plain)));
        t.add(new Row("expand", PLAIN, PLAIN, n -> n.inputs().size() == 1, one(ElementwiseCuda::plain)));
        t.add(new Row("fused", PLAIN, PLAIN, ElementwiseCuda::fusable, one(ElementwiseCuda::fused)));
        t.add(new Row("gather", PLAIN, PLAIN, ANY, one(IndexingCuda::gather)));
        t.add(new Row("transpose", PLAIN, PLAIN, ANY, one(IndexingCuda::transpose)));
        t.add(new Row("slice", PLAIN, PLAIN, n -> n.inputs().size() == 1, one(IndexingCuda::slice)));
        for (String op : List.of("matmul", "gemm")) {
            t.add(new Row(op, FLOATS, FLOATS, GemmShape::supported, one(MatmulCuda::emit)));
        }
        for (String op : List.of("layer_norm", "rms_norm")) {
            t.add(new Row(op, FLOATS, FLOATS, ANY, one(NormCuda::norm)));
        }
        for (String op : List.of("softmax", "log_softmax")) {
            t.add(new Row(op, FLOATS, FLOATS, ANY, one(NormCuda::softmax)));
        }
        for (String op : List.of("reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_l2")) {
            t.add(new Row(
                    op,
                    EnumSet.of(DType.F32, DType.F16, DType.BF16, DType.F64),
                    FLOATS,
                    n -> n.inputs().size() == 1,
                    one(ReduceCuda::emit)));
        }
        // Head-major operands only: a sequence-major layout (the CPU pipeline's attention-layout) has no CUDA kernel.
        t.add(new Row(
                "attention",
                FLOATS,
                FLOATS,
                n -> n.input(1).type().rank() == 4 && (!n.has("layout") || n.intAttr("layout") == 0),
                one(AttentionCuda::emit)));
        // Decoder ops (GGUF): f32 activations, weights in their packed layouts, the paged KV cache.
        Set<DType> f32 = EnumSet.of(DType.F32);
        t.add(new Row("qmatmul", f32, f32, LlmCuda::weightReadable, one(LlmCuda::qmatmul)));
        t.add(new Row(
                "embedding",
                QuantCuda.WEIGHTS,
                f32,
                n -> LlmCuda.weightReadable(n)
                        && EnumSet.of(DType.I32, DType.I64).contains(n.input(1).dtype()),
                one(LlmCuda::embedding)));
        t.add(new Row(
                "rope",
                f32,
                f32,
                n -> n.inputs().size() < 4
                        || EnumSet.of(DType.I32, DType.I64).contains(n.input(3).dtype()),
                one(LlmCuda::rope)));
        t.add(new Row("paged_attention", f32, f32, ANY, PagedAttentionCuda::emit));
        return List.copyOf(t);
    }

    /** The row that emits {@code n}, or null when none does. Views need no row: they emit nothing. */
    static Row find(Node n) {
        DType in = n.inputs().isEmpty()
                ? n.outputs().getFirst().dtype()
                : n.input(0).dtype();
        DType out = n.outputs().getFirst().dtype();
        for (Row r : TABLE) {
            if (r.op().equals(n.op())
                    && r.in().contains(in)
                    && r.out().contains(out)
                    && r.extra().apply(n)) {
                return r;
            }
        }
        return null;
    }

    /** String tensors live on the Java heap: a device has no place for them. */
    private static FscException stringsRefused(String where) {
        return new FscException(where + ": the CUDA backend does not run string tensors", "compile with --target java");
    }

    /** Sequences and optionals are host-side lists with no device layout: refused in one line, before planning. */
    public static void refuseContainers(Graph g) {
        java.util.List<Value> all = new java.util.ArrayList<>(g.inputs());
        g.nodes().forEach(n -> all.addAll(n.outputs()));
        for (Value v : all) {
            if (!v.type().isTensor()) {
                throw new FscException(
                        "graph '" + g.name() + "': the CUDA backend does not run sequence or optional values (%"
                                + v.name() + ": " + v.type() + ")",
                        "compile with --target java");
            }
        }
    }

    /** Throws one {@link FscException} listing every node the CUDA backend cannot emit. */
    public static void check(Graph g) {
        refuseContainers(g);
        for (Value v : g.inputs()) {
            if (v.dtype().isString()) {
                throw stringsRefused("input %" + v.name());
            }
        }
        for (Node n : g.nodes()) {
            if (n.outputs().stream().anyMatch(v -> v.dtype().isString())) {
                throw stringsRefused(n.where());
            }
            if (n.hasRegions()) {
                // Control flow would need host-side branching between launches; refuse it whole.
                throw new FscException(
                        n.where() + ": the CUDA backend does not run control flow (" + n.op() + " with regions) yet",
                        "compile with --target java");
            }
            if (fsc.ir.ops.ExtentOps.extentOf(n) != null) {
                // Its extent would have to come back to the host before any later launch is sized.
                throw new FscException(
                        n.where() + ": the CUDA backend does not run ops whose output size depends on the data ("
                                + n.op() + ") yet",
                        "compile with --target java");
            }
        }
        List<String> bad = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (DeviceLayout.VIEW_OPS.contains(n.op())) {
                continue;
            }
            boolean laidOut = n.inputs().stream().map(Value::type).anyMatch(t -> !t.isRowMajor());
            if (laidOut || find(n) == null) {
                String types = n.inputs().stream().map(v -> v.type().toString()).toList() + " -> "
                        + n.outputs().getFirst().type();
                bad.add(n.where() + " " + (n.isFused() ? "fused @" + n.fusedKind() : n.op()) + " " + types);
            }
        }
        if (!bad.isEmpty()) {
            throw new FscException(
                    "the CUDA backend has no kernel for " + bad.size() + " node(s): " + String.join("; ", bad),
                    "use --target cuda,java to fall back to the Java backend, or run the default pipeline first");
        }
    }
}
