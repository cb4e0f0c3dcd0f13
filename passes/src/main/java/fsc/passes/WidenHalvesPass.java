package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import fsc.ir.interp.HostTensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Runs the ops a backend computes only in f32 on f16 and bf16 tensors by widening them: each half
 * operand is cast to f32, the op runs in f32, and each half result is cast back (rounding to nearest
 * even once). This is what ONNX Runtime does for many of its CPU kernels, and it is exact on the way
 * in: every f16 and bf16 value is an f32 value.
 *
 * <pre>
 * %y: f16[2,4] = matmul(%a, %b)          // a: f16[2,3], b: f16[3,4]; the backend has no f16 matmul
 *   ⇒
 * %a_f32: f32[2,3] = cast(%a) {to = f32}
 * %b_f32: f32[3,4] = cast(%b) {to = f32}
 * %y_f32: f32[2,4] = matmul(%a_f32, %b_f32)
 * %y: f16[2,4] = cast(%y_f32) {to = f16}
 * </pre>
 *
 * <p><b>Which nodes.</b> A node is widened when its op is one of {@link #WIDENABLE} (ops whose f32
 * computation is a correct implementation for half operands: products, convolutions, normalizations,
 * reductions, pools, scans), at least one of its operands or results is f16 or bf16, and the backend
 * says it has no kernel for it: the pass asks a {@code hasKernel} predicate (the Java backend's
 * support table) rather than keeping its own list, so a half kernel added to a backend turns the
 * widening off by itself. Element-wise ops are not widened: the backends compute them in f32 already
 * and round on store.
 *
 * <p><b>bf16 element-wise chains.</b> bf16 keeps 8 significant bits, so a chain of element-wise ops
 * rounded after each op drifts a bf16 step or more from the f32 computation rounded once, which is
 * what ONNX's reference outputs hold ({@code test_celu_bfloat16}: celu's six ops). A bf16
 * element-wise node ({@link #BF16_CHAIN}) that reads or feeds another one is widened too, whatever
 * the backend's table says: this is numerics, not support. A lone bf16 element-wise node is left
 * alone (it rounds once anyway), and so are f16 chains: f16 has 11 bits, and ONNX's f16 reference
 * rounds after every op as the backend does.
 *
 * <p><b>Constants.</b> A half constant a widened node reads becomes an f32 constant at compile time
 * ({@code @"w"} → {@code @"w.f32"}), not a cast run on every call; the half one stays only while
 * another node still reads it. An f32 matmul weight is then one the {@code layout} pass packs.
 *
 * <p><b>Chains.</b> A widened node reading the result of another widened node takes the f32 value
 * directly, so a {@code matmul → softmax → matmul} chain rounds once, at the end; the cast back is
 * made only for the readers that need the half value (other nodes, graph outputs). Operands of other
 * types (bool masks, int64 indices, f32 scales) are left as they are. Each half operand is cast once
 * however many widened nodes read it.
 *
 * <p>Not done: fused nodes are left alone (the fuse pass runs later and builds f32 chains only), and
 * ops outside {@link #WIDENABLE} without a half kernel are left for the backend to report.
 */
@PassInfo(
        name = "widen-halves",
        summary = "run f32-only ops on f16/bf16 tensors in f32: cast operands up, compute, cast results back")
public final class WidenHalvesPass implements Pass {

    /** Ops whose f32 result, rounded once to the half type, is a correct half result. */
    public static final Set<String> WIDENABLE = Set.of(
            "argmax",
            "attention",
            "average_pool",
            "batch_norm",
            "conv",
            "cumprod",
            "cumsum",
            "gemm",
            "global_average_pool",
            "global_max_pool",
            "grid_sample",
            "layer_norm",
            "log_softmax",
            "matmul",
            "max_pool",
            "reduce_l2",
            "reduce_max",
            "reduce_mean",
            "reduce_min",
            "reduce_prod",
            "reduce_sum",
            "rms_norm",
            "softmax");

    /** Element-wise float ops whose bf16 chains run in f32 and round once (see the class comment). */
    public static final Set<String> BF16_CHAIN = Set.of(
            "abs",
            "add",
            "clip",
            "cos",
            "div",
            "erf",
            "exp",
            "gelu",
            "log",
            "max",
            "min",
            "mul",
            "neg",
            "pow",
            "reciprocal",
            "relu",
            "sigmoid",
            "silu",
            "sin",
            "sqrt",
            "sub",
            "tanh");

    /** For a backend that computes every widenable op in f32 only (the Java backend's case). */
    public static final Predicate<Node> NO_HALF_KERNELS = n -> false;

    private final Predicate<Node> hasKernel;

    /** Widens every widenable half node: for {@code --passes} and backends without half kernels. */
    public WidenHalvesPass() {
        this(NO_HALF_KERNELS);
    }

    /** Widens the widenable half nodes for which {@code hasKernel} is false. */
    public WidenHalvesPass(Predicate<Node> hasKernel) {
        this.hasKernel = hasKernel;
    }

    static boolean isHalf(DType t) {
        return t == DType.F16 || t == DType.BF16;
    }

    private boolean widens(Node n) {
        if (n.isFused() || !WIDENABLE.contains(n.op())) {
            return false;
        }
        boolean half = n.inputs().stream().anyMatch(v -> isHalf(v.dtype()))
                || n.outputs().stream().anyMatch(v -> isHalf(v.dtype()));
        return half && !hasKernel.test(n);
    }

    /** A bf16 element-wise node: every float operand and result is bf16. */
    private static boolean bf16Elementwise(Node n) {
        return !n.isFused()
                && BF16_CHAIN.contains(n.op())
                && n.outputs().stream().allMatch(v -> v.dtype() == DType.BF16)
                && n.inputs().stream()
                        .allMatch(v -> v.dtype() == DType.BF16 || !v.dtype().isFloat());
    }

    /** The bf16 element-wise nodes that read a value another one produced, and those producers. */
    private static Set<Node> bf16Chains(Graph g) {
        Map<Value, Node> producer = new IdentityHashMap<>();
        Set<Node> chained = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : g.nodes()) {
            if (bf16Elementwise(n)) {
                for (Value v : n.inputs()) {
                    Node p = producer.get(v);
                    if (p != null) {
                        chained.add(p);
                        chained.add(n);
                    }
                }
                n.outputs().forEach(v -> producer.put(v, n));
            }
        }
        return chained;
    }

    @Override
    public Graph run(Graph g, PassContext ctx) {
        Set<Node> widened = bf16Chains(g);
        for (Node n : g.nodes()) {
            if (widens(n)) {
                widened.add(n);
            }
        }
        if (widened.isEmpty()) {
            return g;
        }
        // Which half results some reader other than a widened node needs: they get a cast back.
        Set<Value> needHalf = Substitution.identitySet(g.outputs());
        for (Node n : g.nodes()) {
            if (!widened.contains(n)) {
                needHalf.addAll(n.inputs());
            }
        }
        Set<String> names = new HashSet<>();
        g.inputs().forEach(v -> names.add(v.name()));
        g.constants().forEach(c -> names.add(c.value().name()));
        g.nodes().forEach(n -> n.outputs().forEach(v -> names.add(v.name())));

        Map<Value, Constant> constants = new IdentityHashMap<>();
        g.constants().forEach(c -> constants.put(c.value(), c));
        Set<String> weightNames = new HashSet<>(g.weights().byName().keySet());

        // The f32 stand-in of each half value: a widened node's own result, an f32 copy of a
        // constant (converted here, once, rather than cast on every call), or a cast of the operand.
        Map<Value, Value> wide = new IdentityHashMap<>();
        Map<Value, Constant> widenedConstants = new IdentityHashMap<>();
        TreeMap<String, WeightData> newWeights = new TreeMap<>();
        List<Node> nodes = new ArrayList<>();
        int casts = 0;
        for (Node n : g.nodes()) {
            if (!widened.contains(n)) {
                nodes.add(n);
                continue;
            }
            List<Value> in = new ArrayList<>();
            for (Value v : n.inputs()) {
                if (!isHalf(v.dtype())) {
                    in.add(v);
                    continue;
                }
                Value w = wide.get(v);
                if (w == null) {
                    w = f32(names, v);
                    Constant c = constants.get(v);
                    if (c != null) {
                        String weight = UniqueNames.unique(weightNames, c.weight() + ".f32");
                        newWeights.put(weight, toF32(g.weights().get(c.weight())));
                        widenedConstants.put(v, new Constant(w, weight));
                    } else {
                        nodes.add(cast(n, v, w, DType.F32));
                        casts++;
                    }
                    wide.put(v, w);
                }
                in.add(w);
            }
            List<Value> out = new ArrayList<>();
            List<Node> back = new ArrayList<>();
            for (Value v : n.outputs()) {
                if (!isHalf(v.dtype())) {
                    out.add(v);
                    continue;
                }
                Value w = f32(names, v);
                wide.put(v, w);
                out.add(w);
                if (needHalf.contains(v)) {
                    back.add(cast(n, w, v, v.dtype()));
                    casts++;
                }
            }
            nodes.add(new Node(n.op(), n.name(), in, out, n.attrs()));
            nodes.addAll(back);
        }
        ctx.note("widened " + widened.size() + " nodes to f32 with " + casts + " casts and " + widenedConstants.size()
                + " f32 constants");
        List<Constant> kept = withF32Constants(g, nodes, widenedConstants);
        return g.withBody(kept, nodes, g.outputs(), weights(g, kept, newWeights));
    }

    /**
     * The constants still read, each followed by its f32 copy: a half constant only widened nodes
     * read is replaced (no {@code dce} runs after this pass to drop it).
     */
    private static List<Constant> withF32Constants(Graph g, List<Node> nodes, Map<Value, Constant> added) {
        Set<Value> read = Substitution.identitySet(g.outputs());
        nodes.forEach(n -> read.addAll(n.inputs()));
        List<Constant> out = new ArrayList<>();
        for (Constant c : g.constants()) {
            if (read.contains(c.value()) || !added.containsKey(c.value())) {
                out.add(c);
            }
            Constant f32 = added.get(c.value());
            if (f32 != null) {
                out.add(f32);
            }
        }
        return out;
    }

    /** The graph's weights plus {@code added}, less those of replaced constants no kept one names. */
    private static Weights weights(Graph g, List<Constant> kept, TreeMap<String, WeightData> added) {
        Set<String> named = new HashSet<>();
        kept.forEach(c -> named.add(c.weight()));
        TreeMap<String, WeightData> all = new TreeMap<>(g.weights().byName());
        for (Constant c : g.constants()) {
            if (!named.contains(c.weight())) {
                all.remove(c.weight());
            }
        }
        all.putAll(added);
        return new Weights(all);
    }

    /** A half weight's values as f32 (exact: every f16 and bf16 value is an f32 value). */
    private static WeightData toF32(WeightData w) {
        HostTensor half = HostTensor.fromWeight(w);
        long[] shape = w.dims().stream().mapToLong(Long::longValue).toArray();
        HostTensor f = HostTensor.zeros(DType.F32, shape);
        for (int i = 0; i < half.size(); i++) {
            f.setDouble(i, half.getDouble(i));
        }
        return f.toWeight();
    }

    /** A fresh f32 value shaped like {@code v}, named after it. */
    private static Value f32(Set<String> names, Value v) {
        String base = v.name() + "_f32";
        String name = base;
        for (int i = 1; !names.add(name); i++) {
            name = base + "_" + i;
        }
        return new Value(name, v.type().withDType(DType.F32));
    }

    private static Node cast(Node owner, Value from, Value to, DType dtype) {
        return new Node("cast", owner.name(), List.of(from), List.of(to), Map.of("to", new Attr.Type(dtype)));
    }
}
