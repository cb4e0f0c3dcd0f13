package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import fsc.ir.Graph;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * What node emitters share across one generated class: the graph, the symbol spelling, buffer and
 * weight placement, and the constructor-time work they request (pre-packed GEMM operands).
 */
final class ModelContext {
    /** Field names of the generated class; node methods reserve them so locals never shadow them. */
    static final String SLOT_BUF = "slotBuf";

    static final String ACTIVATIONS = "activations";
    static final String IN_BUF = "inBuf";
    static final String RESULT = "result";
    static final String CONST_BUF = "constBuf";
    static final String PACKED = "packedB";
    /** The constructor's {@code PackedMemory}, a parameter of the {@code packWeights} helpers. */
    static final String PACKED_MEMORY = "packedMemory";

    static final String ARENA = "arena";
    static final String PAR = "par";
    static final String SERIAL = "serial";
    static final String WEIGHTS = "weights";
    static final String SPECIES = "FS";
    static final String ORDER = "LE";
    /** Per string value of the graph: its current run-time tensor (strings live on the heap). */
    static final String STRS = "strs";
    /** The sequence and optional values of the current call (see {@link ContainerEmitter}). */
    static final String CONTAINERS = "containers";

    static final List<String> RESERVED = List.of(
            STRS,
            SLOT_BUF,
            ACTIVATIONS,
            IN_BUF,
            RESULT,
            SignatureEmitter.FIELD,
            SignatureEmitter.SYMBOL_VALUES,
            "INPUT_NAMES",
            "OUTPUT_NAMES",
            "sym",
            CONST_BUF,
            PACKED,
            PACKED_MEMORY,
            ARENA,
            PAR,
            SERIAL,
            WEIGHTS,
            SPECIES,
            ORDER,
            CONTAINERS,
            "F32",
            "F64",
            "I64",
            "I32",
            "I16",
            "I8");

    private final Graph graph;
    private final DimCode dims;
    private final ArenaSlots plan;
    private final WeightsLayout weights;
    private final List<CodeBlock> packInits = new ArrayList<>();
    private final List<MethodSpec> methods = new ArrayList<>();
    private final List<FieldSpec> fields = new ArrayList<>();
    private final List<CodeBlock> fieldInits = new ArrayList<>();
    private final List<CodeBlock> helperInits = new ArrayList<>();
    private final java.util.Set<String> members = new java.util.HashSet<>();

    private final EpilogueFusion fusion;

    /** Classes generated for control-flow regions, and what close() must also release. */
    private final List<com.palantir.javapoet.JavaFile> regionFiles = new ArrayList<>();

    private final List<CodeBlock> closeStatements = new ArrayList<>();
    /** The options of the class being generated; regions derive their class names from it. */
    private JavaBackendOptions options;

    ModelContext(Graph graph, DimCode dims, ArenaSlots plan, WeightsLayout weights) {
        this(graph, dims, plan, weights, null);
    }

    ModelContext(Graph graph, DimCode dims, ArenaSlots plan, WeightsLayout weights, EpilogueFusion fusion) {
        for (Value v : graph.inputs()) {
            if (!v.type().isTensor()) {
                containerIndex.put(v, containerIndex.size());
            }
        }
        for (fsc.ir.Node n : graph.nodes()) {
            for (Value v : n.outputs()) {
                if (!v.type().isTensor()) {
                    containerIndex.put(v, containerIndex.size());
                }
            }
        }
        this.graph = graph;
        this.dims = dims;
        this.plan = plan;
        this.weights = weights;
        this.fusion = fusion;
        for (fsc.ir.Value v : graph.inputs()) {
            if (v.dtype().isString()) {
                stringSlots.put(v, stringSlots.size());
            }
        }
        for (fsc.ir.Node n : graph.nodes()) {
            for (fsc.ir.Value v : n.outputs()) {
                if (v.dtype().isString()) {
                    stringSlots.put(v, stringSlots.size());
                }
            }
        }
        // A string constant is decoded from its weight bytes (fsc.ir.StringData) once, at construction.
        for (fsc.ir.Constant c : graph.constants()) {
            fsc.ir.Value v = c.value();
            if (v.dtype().isString() && plan.ref(v) instanceof BufferRef.Const ref) {
                int k = stringSlots.size();
                stringSlots.put(v, k);
                fieldInits.add(CodeBlock.builder()
                        .addStatement(
                                "$N[$L] = $T.decode(new long[] {$L}, $N[$L])",
                                STRS,
                                k,
                                StringEmitter.KERNELS,
                                CodeBlock.join(
                                        v.type().dims().stream().map(dims::of).toList(), ", "),
                                CONST_BUF,
                                ref.index())
                        .build());
            }
        }
    }

    private final java.util.Map<fsc.ir.Value, Integer> stringSlots = new java.util.LinkedHashMap<>();

    /** How many string values the graph has (the length of the {@link #STRS} array). */
    int stringCount() {
        return stringSlots.size();
    }

    /** {@code strs[k]}: the run-time tensor of string value {@code v}. */
    CodeBlock strings(fsc.ir.Value v) {
        Integer k = stringSlots.get(v);
        if (k == null) {
            throw new IllegalStateException(v + " is not a string value of graph '" + graph.name() + "'");
        }
        return CodeBlock.of("$N[$L]", STRS, k);
    }

    /** The epilogue fused into weight GEMM {@code n}, or null. */
    EpilogueFusion.Epilogue epilogue(fsc.ir.Node n) {
        return fusion == null ? null : fusion.epilogue(n);
    }

    /** Whether {@code n} emits no code: a view, or a step fused into its producer. */
    boolean isAbsorbed(fsc.ir.Node n) {
        return (ArenaSlots.isView(n) && !StringEmitter.touchesStrings(n))
                || (fusion != null
                        && (fusion.aliases().containsKey(n)
                                || fusion.redirected().contains(n)));
    }

    Graph graph() {
        return graph;
    }

    DimCode dims() {
        return dims;
    }

    ArenaSlots plan() {
        return plan;
    }

    WeightsLayout weights() {
        return weights;
    }

    boolean isConstant(Value v) {
        return plan.ref(v) instanceof BufferRef.Const;
    }

    /** Sequence and optional values, numbered in definition order: not in the memory plan. */
    private final java.util.Map<Value, Integer> containerIndex = new java.util.IdentityHashMap<>();

    /** The expression holding container value {@code v}, e.g. {@code containers[2]}. */
    CodeBlock container(Value v) {
        Integer k = containerIndex.get(v);
        if (k == null) {
            throw new IllegalStateException(v + " is not a container value of graph '" + graph.name() + "'");
        }
        return CodeBlock.of("$N[$L]", CONTAINERS, k);
    }

    /** How many container values the graph defines (inputs included). */
    int containerCount() {
        return containerIndex.size();
    }

    /** Whether the graph takes or returns a sequence or optional (it then runs through {@code runValues}). */
    boolean hasContainerIo() {
        return graph.inputs().stream().anyMatch(v -> !v.type().isTensor())
                || graph.outputs().stream().anyMatch(v -> !v.type().isTensor());
    }

    /** The expression for the buffer holding {@code v}, e.g. {@code slotBuf[3]}. */
    CodeBlock buffer(Value v) {
        return switch (plan.ref(v)) {
            case BufferRef.Input in -> CodeBlock.of("$N[$L]", IN_BUF, in.index());
            case BufferRef.Const c -> CodeBlock.of("$N[$L]", CONST_BUF, c.index());
            case BufferRef.Slot s -> CodeBlock.of("$N[$L]", SLOT_BUF, s.index());
        };
    }

    /**
     * Registers a buffer filled once at construction; {@code init} receives its {@code packedB[k]}
     * expression and returns the statements that allocate and fill it.
     */
    CodeBlock addPacked(java.util.function.Function<CodeBlock, CodeBlock> init) {
        CodeBlock ref = CodeBlock.of("$N[$L]", PACKED, packInits.size());
        packInits.add(init.apply(ref));
        return ref;
    }

    /** A helper method an emitter needs besides its node method. */
    void addMethod(MethodSpec m) {
        methods.add(m);
    }

    /** An instance field an emitter needs, assigned by {@code init} in the constructor (after the threads exist). */
    void addField(FieldSpec f, CodeBlock init) {
        fields.add(f);
        fieldInits.add(init);
    }

    /**
     * An instance field assigned by {@code init} in one of the constructor's numbered helper methods,
     * so that many of them (one per node of a large graph) do not push the constructor past the
     * JIT's size limit. Not final, therefore: a helper method may not assign a final field.
     */
    void addHelperInitField(FieldSpec f, CodeBlock init) {
        if (f.modifiers().contains(javax.lang.model.element.Modifier.FINAL)) {
            throw new IllegalArgumentException("field " + f.name() + " is assigned by a helper method: not final");
        }
        fields.add(f);
        helperInits.add(init);
    }

    List<CodeBlock> helperInits() {
        return List.copyOf(helperInits);
    }

    /**
     * {@code base}, or {@code base2}, {@code base3}, … where an earlier call took it: a name for a
     * member an emitter adds per loop, when one node method may hold several loops.
     */
    String uniqueMember(String base) {
        String name = base;
        for (int k = 2; !members.add(name); k++) {
            name = base + k;
        }
        return name;
    }

    /** A static field an emitter needs, initialised where it is declared (e.g. a loop's {@code VectorWarmth}). */
    void addStaticField(FieldSpec f) {
        fields.add(f);
    }

    List<CodeBlock> fieldInits() {
        return List.copyOf(fieldInits);
    }

    List<MethodSpec> methods() {
        return List.copyOf(methods);
    }

    List<FieldSpec> fields() {
        return List.copyOf(fields);
    }

    /** The field holding the current call's value of a symbol, for helpers that run outside the node method. */
    String symbolField(String param) {
        return "sym_" + param;
    }

    void setOptions(JavaBackendOptions opts) {
        this.options = opts;
    }

    JavaBackendOptions options() {
        if (options == null) {
            throw new IllegalStateException("control-flow emission needs the backend options");
        }
        return options;
    }

    /** Sources of a region's class, emitted beside this one. */
    void addRegionFiles(List<com.palantir.javapoet.JavaFile> files) {
        regionFiles.addAll(files);
    }

    List<com.palantir.javapoet.JavaFile> regionFiles() {
        return List.copyOf(regionFiles);
    }

    /** A statement close() runs after releasing this class's own arena (e.g. a region's close). */
    void addClose(CodeBlock statement) {
        closeStatements.add(statement);
    }

    List<CodeBlock> closeStatements() {
        return List.copyOf(closeStatements);
    }

    List<CodeBlock> packInits() {
        return List.copyOf(packInits);
    }
}
