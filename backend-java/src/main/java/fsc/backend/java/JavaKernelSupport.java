package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.ops.Ops;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The one declared table of what the Java backend generates: (op, element type of the first operand,
 * element type of the output) → emitter. {@link #check} runs before any code is generated and reports
 * every unsupported node at once; nothing is discovered by catching exceptions during emission.
 */
final class JavaKernelSupport {
    private JavaKernelSupport() {}

    /** One row: {@code op} over inputs of {@code in} producing {@code out} is emitted by {@code emitter}. */
    record Kernel(String op, Set<DType> in, Set<DType> out, Function<Scope, CodeBlock> emitter) {}

    private static final Set<DType> F32 = EnumSet.of(DType.F32);
    private static final Set<DType> BOOL = EnumSet.of(DType.BOOL);
    private static final Set<DType> INTS = EnumSet.of(DType.I64, DType.I32);
    /** Float types computed element-wise in float or double (f16 and bf16 widen to float, see {@link ElemCode}). */
    private static final Set<DType> FLOATS = EnumSet.of(DType.F32, DType.F64, DType.F16, DType.BF16);

    private static final Set<DType> SIGNED = union(FLOATS, EnumSet.of(DType.I64, DType.I32, DType.I16, DType.I8));
    /** Every plain numeric type; {@link ElemCode} reads each into its compute type. */
    private static final Set<DType> NUMERIC = union(SIGNED, EnumSet.of(DType.U64, DType.U32, DType.U16, DType.U8));
    /** The 8-bit floats: storage only (ONNX defines no arithmetic on them); casts and data movement. */
    private static final Set<DType> FLOAT8 =
            EnumSet.of(DType.F8E4M3FN, DType.F8E4M3FNUZ, DType.F8E5M2, DType.F8E5M2FNUZ, DType.F8E8M0);
    /** Every element type with one value per element: data movement copies bytes, casts convert. */
    private static final Set<DType> PLAIN = union(union(NUMERIC, BOOL), FLOAT8);
    /** The sub-byte types (4- and 2-bit), packed: only casts (element by element through {@link ElemCode}) and views. */
    private static final Set<DType> CASTABLE =
            union(PLAIN, EnumSet.of(DType.I4, DType.U4, DType.F4E2M1, DType.I2, DType.U2));

    /** Every whole-byte integer width; {@link ElemCode} zero-extends the unsigned ones. */
    private static final Set<DType> INTEGERS =
            EnumSet.of(DType.I64, DType.I32, DType.I16, DType.I8, DType.U64, DType.U32, DType.U16, DType.U8);

    private static final Set<DType> UNSIGNED = EnumSet.of(DType.U64, DType.U32, DType.U16, DType.U8);

    private static final Set<DType> HALVES_AND_F32 = EnumSet.of(DType.F32, DType.F16, DType.BF16);
    private static final Set<DType> INDEX = EnumSet.of(DType.I64, DType.I32);

    /** Sequence and optional ops hold tensors of any element type: they copy bytes. */
    private static final Set<DType> ANY = EnumSet.allOf(DType.class);

    /** Ops that are views of their input: no method, no copy (see {@link ArenaSlots#VIEW_OPS}). */
    private static final Function<Scope, CodeBlock> VIEW = s -> CodeBlock.of("");

    static final List<Kernel> TABLE = table();

    private static List<Kernel> table() {
        List<Kernel> t = new ArrayList<>();
        for (String op : List.of("add", "sub", "mul", "div", "pow", "max", "min", "mod")) {
            t.add(new Kernel(op, NUMERIC, NUMERIC, ElementwiseEmitter::binary));
        }
        for (String op : List.of("equal", "less", "less_or_equal", "greater", "greater_or_equal")) {
            Set<DType> in = op.equals("equal") ? PLAIN : NUMERIC;
            t.add(new Kernel(op, in, BOOL, ElementwiseEmitter::binary));
        }
        for (String op : List.of("and", "or", "xor")) {
            t.add(new Kernel(op, BOOL, BOOL, ElementwiseEmitter::binary));
        }
        // Bit ops on the compute values (unsigned ones zero-extended) keep the right low bits, which
        // is all the narrowing store writes.
        for (String op : List.of("bitwise_and", "bitwise_or", "bitwise_xor")) {
            t.add(new Kernel(op, INTEGERS, INTEGERS, ElementwiseEmitter::binary));
        }
        t.add(new Kernel("bitwise_not", INTEGERS, INTEGERS, ElementwiseEmitter::unary));
        for (String op : List.of("bit_shift_left", "bit_shift_right")) {
            t.add(new Kernel(op, UNSIGNED, UNSIGNED, ElementwiseEmitter::binary));
        }
        t.add(new Kernel("bitcast", PLAIN, PLAIN, CopyEmitter::bitcast));
        for (String op : Stream.concat(
                        Stream.of(
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
                                "gelu"),
                        Ops.TRIG_AND_HYPERBOLIC.stream())
                .toList()) {
            // erf and gelu have float forms only; the rest also run in double for f64 tensors.
            Set<DType> types = op.equals("erf") || op.equals("gelu") ? HALVES_AND_F32 : FLOATS;
            t.add(new Kernel(op, types, types, ElementwiseEmitter::unary));
        }
        for (String op : List.of("neg", "abs", "relu", "sign")) {
            t.add(new Kernel(op, SIGNED, SIGNED, ElementwiseEmitter::unary));
        }
        t.add(new Kernel("not", BOOL, BOOL, ElementwiseEmitter::unary));
        t.add(new Kernel("silu", HALVES_AND_F32, HALVES_AND_F32, ElementwiseEmitter::unary));
        t.add(new Kernel("clip", NUMERIC, NUMERIC, ElementwiseEmitter::clip));
        t.add(new Kernel("where", BOOL, PLAIN, ElementwiseEmitter::where));
        // A fuse-pass chain: one loop evaluating the body per element (find() checks the body ops).
        t.add(new Kernel("fused", F32, F32, FusedElementwiseEmitter::emit));
        // Quantized data adds an exact int32 matmul to the f32 row.
        t.add(new Kernel("cast", CASTABLE, CASTABLE, CopyEmitter::cast));
        t.add(new Kernel(
                "matmul",
                union(F32, EnumSet.of(DType.I32, DType.F64)),
                union(F32, EnumSet.of(DType.I32, DType.F64)),
                IntegerEmitters::matmulOrFloat));
        t.add(new Kernel(
                "matmul_int8",
                EnumSet.of(DType.U8, DType.I8),
                EnumSet.of(DType.I32, DType.F32),
                IntegerEmitters::matmulInt8));
        t.add(new Kernel("dynamic_quantize", F32, EnumSet.of(DType.U8), IntegerEmitters::dynamicQuantize));
        t.add(new Kernel("dynamic_quantize_rows", F32, EnumSet.of(DType.I8), IntegerEmitters::dynamicQuantizeRows));
        t.add(new Kernel("gemm", F32, F32, MatmulEmitter::gemm));
        t.add(new Kernel("gather", PLAIN, PLAIN, GatherEmitter::gather));
        // f32 reductions are vectorised; f64, integer and bool ones are scalar loops (see the emitters).
        Set<DType> f32f64 = EnumSet.of(DType.F32, DType.F64);
        for (String op : List.of("reduce_mean", "reduce_l2")) {
            t.add(new Kernel(op, f32f64, f32f64, ScalarReduceEmitter::reduceAny));
        }
        // Sums and products of any integer width wrap the same way step by step as at the end, and
        // unsigned ones are bitwise the same as signed: one scalar loop serves them all.
        for (String op : List.of("reduce_sum", "reduce_prod")) {
            t.add(new Kernel(op, union(f32f64, INTEGERS), union(f32f64, INTEGERS), ScalarReduceEmitter::reduceAny));
        }
        for (String op : List.of("reduce_max", "reduce_min")) {
            Set<DType> ordered = union(union(f32f64, INTS), BOOL);
            t.add(new Kernel(op, ordered, ordered, ScalarReduceEmitter::reduceAny));
        }
        t.add(new Kernel("softmax", f32f64, f32f64, NormEmitter::softmax));
        t.add(new Kernel("log_softmax", f32f64, f32f64, NormEmitter::softmax));
        t.add(new Kernel("layer_norm", F32, F32, NormEmitter::layerNorm));
        t.add(new Kernel("rms_norm", F32, F32, NormEmitter::rmsNorm));
        t.add(new Kernel("batch_norm", F32, F32, NormEmitter::batchNorm));
        t.add(new Kernel("global_average_pool", F32, F32, ReduceEmitter::globalPool));
        t.add(new Kernel("conv", F32, F32, ConvEmitter::conv));
        // Max pooling only compares, so the 8-bit integers run the same loop in int (ElemCode).
        Set<DType> maxPoolable = EnumSet.of(DType.F32, DType.I8, DType.U8);
        t.add(new Kernel("max_pool", maxPoolable, maxPoolable, ConvEmitter::pool));
        t.add(new Kernel("average_pool", F32, F32, ConvEmitter::pool));
        t.add(new Kernel("global_max_pool", F32, F32, ReduceEmitter::globalPool));
        t.add(new Kernel("split", PLAIN, PLAIN, IndexingEmitter::split));
        t.add(new Kernel("tile", PLAIN, PLAIN, IndexingEmitter::tile));
        t.add(new Kernel("range", union(F32, INTS), union(F32, INTS), IndexingEmitter::range));
        t.add(new Kernel("trilu", PLAIN, PLAIN, IndexingEmitter::trilu));
        Set<DType> scannable = union(EnumSet.of(DType.F32, DType.F64), INTS);
        t.add(new Kernel("cumsum", scannable, scannable, IndexingEmitter::cumsum));
        t.add(new Kernel("cumprod", scannable, scannable, IndexingEmitter::cumsum));
        t.add(new Kernel("argmax", union(F32, INTS), EnumSet.of(DType.I64), IndexingEmitter::argmax));
        // Outputs sized at run time (ExtentOps): NonZero and Unique compare any whole-byte numeric value.
        Set<DType> comparable = union(NUMERIC, BOOL);
        t.add(new Kernel("nonzero", comparable, EnumSet.of(DType.I64), ExtentEmitter::nonzero));
        t.add(new Kernel("unique", comparable, comparable, ExtentEmitter::unique));
        t.add(new Kernel("non_max_suppression", FLOATS, EnumSet.of(DType.I64), ExtentEmitter::nonMaxSuppression));
        t.add(new Kernel("transpose", PLAIN, PLAIN, CopyEmitter::transpose));
        t.add(new Kernel("slice", PLAIN, PLAIN, CopyEmitter::slice));
        t.add(new Kernel("expand", PLAIN, PLAIN, CopyEmitter::expand));
        t.add(new Kernel("concat", PLAIN, PLAIN, CopyEmitter::concat));
        t.add(new Kernel("qmatmul", F32, F32, LlmEmitter::qmatmul));
        t.add(new Kernel("embedding", EnumSet.copyOf(LlmEmitter.WEIGHT_TYPES), F32, LlmEmitter::embedding));
        t.add(new Kernel("paged_attention", F32, F32, LlmEmitter::pagedAttention));
        t.add(new Kernel("rope", F32, F32, LlmEmitter::rope));
        t.add(new Kernel("attention", F32, F32, AttentionEmitter::attention));
        t.add(new Kernel("grid_sample", F32, F32, SamplingEmitter::gridSample));
        t.add(new Kernel("roi_align", F32, F32, SamplingEmitter::roiAlign));
        t.add(new Kernel("tfidf_vectorizer", INDEX, F32, TextEmitter::tfidf));
        Set<DType> str = EnumSet.of(DType.STRING);
        Set<DType> bool = EnumSet.of(DType.BOOL);
        t.add(new Kernel("string_concat", str, str, StringEmitter::concat));
        t.add(new Kernel("string_equal", str, bool, StringEmitter::equal));
        t.add(new Kernel("regex_full_match", str, bool, StringEmitter::regexFullMatch));
        t.add(new Kernel("string_normalizer", str, str, StringEmitter::normalizer));
        t.add(new Kernel("string_split", str, str, StringEmitter::split));
        // LabelEncoder's keys and values: strings, the integers and float/double (LabelEncoderTable.store).
        Set<DType> labels = EnumSet.of(
                DType.STRING,
                DType.F32,
                DType.F64,
                DType.I64,
                DType.U64,
                DType.I32,
                DType.U32,
                DType.I16,
                DType.U16,
                DType.I8,
                DType.U8);
        t.add(new Kernel("label_encoder", labels, labels, StringEmitter::labelEncoder));
        t.add(new Kernel("tree_ensemble", f32f64, f32f64, TreeEmitter::treeEnsemble));
        for (String op : ArenaSlots.VIEW_OPS) {
            t.add(new Kernel(op, CASTABLE, CASTABLE, VIEW));
        }
        t.sort(java.util.Comparator.comparing(Kernel::op));
        return List.copyOf(t);
    }

    private static Set<DType> union(Set<DType> a, Set<DType> b) {
        EnumSet<DType> u = EnumSet.copyOf(a);
        u.addAll(b);
        return u;
    }

    /**
     * Operand-form ops and the number of inputs their folded form has: more inputs means the
     * {@code fold} pass did not run (or could not resolve a shape because an input was left unbound).
     */
    private static final Map<String, Integer> FOLDED_ARITY = Map.ofEntries(
            Map.entry("reshape", 1),
            Map.entry("expand", 1),
            Map.entry("squeeze", 1),
            Map.entry("unsqueeze", 1),
            Map.entry("slice", 1),
            Map.entry("constant_of_shape", 0),
            Map.entry("reduce_mean", 1),
            Map.entry("reduce_sum", 1),
            Map.entry("reduce_max", 1),
            Map.entry("reduce_min", 1),
            Map.entry("reduce_prod", 1),
            Map.entry("reduce_l2", 1),
            Map.entry("clip", 1),
            Map.entry("split", 1),
            Map.entry("tile", 1),
            Map.entry("trilu", 1),
            Map.entry("cumsum", 1),
            Map.entry("cumprod", 1));

    private static final Set<String> STRING_OPS = Set.of(
            "label_encoder", "regex_full_match", "string_concat", "string_equal", "string_normalizer", "string_split");

    /** The emitter for {@code n}; {@link #check} must have accepted the graph. */
    static Function<Scope, CodeBlock> emitter(Node n) {
        Kernel k = find(n);
        if (k == null) {
            throw new IllegalStateException(n.where() + " reached code generation without a kernel");
        }
        return k.emitter();
    }

    /** Whether the table has a kernel for {@code n} as typed. */
    static boolean supports(Node n) {
        return find(n) != null;
    }

    private static Kernel find(Node n) {
        if (n.isFused() && !FusedElementwiseEmitter.supports(n)) {
            return null;
        }
        if (n.op().equals("constant_of_shape")) {
            return new Kernel(n.op(), PLAIN, PLAIN, CopyEmitter::constantOfShape);
        }
        if (n.op().equals("dim_values")) {
            return new Kernel(n.op(), INTS, INTS, CopyEmitter::dimValues);
        }
        if (n.hasRegions()) {
            // The regions' own ops are checked when their classes are generated.
            return ControlFlowEmitter.supports(n) ? new Kernel(n.op(), PLAIN, PLAIN, ControlFlowEmitter::emit) : null;
        }
        if (ContainerEmitter.OPS.contains(n.op())) {
            return new Kernel(n.op(), ANY, ANY, ContainerEmitter::emit);
        }
        if (StringEmitter.touchesStrings(n) && ArenaSlots.isView(n)) {
            // A view of strings shares the elements under a new shape, fixed unless it is identity.
            boolean shaped = n.op().equals("identity") || n.output().type().isStatic();
            return shaped && n.input(0).dtype().isString()
                    ? new Kernel(n.op(), EnumSet.of(DType.STRING), EnumSet.of(DType.STRING), StringEmitter::view)
                    : null;
        }
        if (StringEmitter.touchesStrings(n) && !STRING_OPS.contains(n.op())) {
            return null; // strings are never bytes in the arena: only the string ops handle them
        }
        DType in = n.inputs().isEmpty() ? null : n.input(0).dtype();
        // Multi-output ops (split) have one element type across their outputs.
        DType out = n.outputs().isEmpty() ? null : n.outputs().getFirst().dtype();
        for (Kernel k : TABLE) {
            if (k.op().equals(n.op()) && k.in().contains(in) && k.out().contains(out)) {
                return k;
            }
        }
        return null;
    }

    /**
     * Ops whose extra operands the emitters can take as compile-time constants when {@code fold} left
     * them (graphs whose shape operands are bound inputs): the sizes of {@code split} and repeats of
     * {@code tile} follow from the output types; {@code cumsum}'s axis, {@code trilu}'s k and
     * {@code clip}'s bounds are read from the constant.
     */
    private static final Set<String> CONSTANT_OPERANDS_OK = Set.of("split", "tile", "cumsum", "trilu", "clip");

    private static boolean constantOperands(Graph g, Node n) {
        if (!CONSTANT_OPERANDS_OK.contains(n.op())) {
            return false;
        }
        boolean typesSuffice = n.op().equals("split") || n.op().equals("tile");
        for (Value v : n.inputs().subList(1, n.inputs().size())) {
            boolean absent = v.name().isEmpty();
            boolean scalarConstant =
                    g.constantOf(v) != null && v.type().elementCount().equals(fsc.ir.Dim.of(1));
            if (!absent && !typesSuffice && !scalarConstant) {
                return false;
            }
        }
        return true;
    }

    /** Throws one {@link FscException} naming every node the backend cannot generate, or returns. */
    static void check(Graph g) {
        List<String> notFolded = new ArrayList<>();
        TreeMap<String, List<String>> unsupported = new TreeMap<>();
        for (Node n : g.nodes()) {
            Integer arity = FOLDED_ARITY.get(n.op());
            if (n.op().equals("shape") || (arity != null && n.inputs().size() > arity && !constantOperands(g, n))) {
                notFolded.add(n.where());
                continue;
            }
            if (find(n) == null) {
                String key = n.op() + "("
                        + (n.inputs().isEmpty() ? "" : n.input(0).dtype().irName()) + ")"
                        + (n.outputs().isEmpty()
                                ? ""
                                : " -> " + n.outputs().getFirst().dtype().irName());
                unsupported
                        .computeIfAbsent(key, k -> new ArrayList<>())
                        .add(n.name().isEmpty() ? "?" : n.name());
            }
        }
        if (!notFolded.isEmpty()) {
            throw new FscException(
                    "graph '" + g.name() + "' still has operand-form shape ops the Java backend cannot run: "
                            + String.join(", ", notFolded),
                    "run the 'fold' pass first; if a shape depends on an input, bind that input's dimensions");
        }
        if (!unsupported.isEmpty()) {
            List<String> parts = new ArrayList<>();
            unsupported.forEach((k, nodes) -> parts.add(k + " at " + String.join(", ", nodes)));
            throw new FscException(
                    "graph '" + g.name() + "': the Java backend has no kernel for " + String.join("; ", parts));
        }
    }
}
