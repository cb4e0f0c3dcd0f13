package fsc.backend.java;

import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import fsc.ir.Graph;
import fsc.ir.MemoryPlan;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.Modifier;

/**
 * Builds the model class: static shape and weight-offset constants, one private method per node, the
 * {@code run} entry that binds symbols and checks bounds, and construction (weights mapping, GEMM
 * pre-packing). Long statement lists (node calls, constant slices) are split into numbered helper
 * methods so every method stays far below HotSpot's 8,000-byte limit for JIT compilation.
 */
final class ModelClassEmitter {
    /** Statements per generated helper method; a call or slice is well under 40 bytes of bytecode. */
    static final int CHUNK = 120;

    /** The jar entry the generated class maps its weights from. */
    static final String WEIGHTS_ENTRY = fsc.runtime.JarLayout.WEIGHTS_ENTRY;

    private final Graph graph;
    private final JavaBackendOptions opts;
    private final ModelContext ctx;
    private final ClassName self;
    private final List<MethodSpec> nodeMethods = new ArrayList<>();
    private final List<CodeBlock> calls = new ArrayList<>();
    /** A control-flow region's class: {@code invoke}/{@code out} instead of the model interface. */
    private final boolean region;

    ModelClassEmitter(Graph graph, JavaBackendOptions opts, ModelContext ctx) {
        this(graph, opts, ctx, false);
    }

    ModelClassEmitter(Graph graph, JavaBackendOptions opts, ModelContext ctx, boolean region) {
        this.graph = graph;
        this.opts = opts;
        this.ctx = ctx;
        this.region = region;
        this.self = ClassName.get(opts.packageName(), opts.className());
    }

    /** The model class and the artifact's {@code Main}. */
    List<JavaFile> emit() {
        emitNodes();
        TypeSpec.Builder t = TypeSpec.classBuilder(self)
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addJavadoc("Model {@code $L}: $L.\n", sanitize(graph.name()), sanitize(opts.sourceLabel()));
        if (!region) {
            t.addSuperinterface(JavaTypes.COMPILED_MODEL);
        }
        t.addFields(staticFields());
        t.addFields(instanceFields());
        if (ctx.containerCount() > 0) {
            t.addField(FieldSpec.builder(Object[].class, ModelContext.CONTAINERS, Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("Sequence and optional values of the current call (not in the arena).\n")
                    .build());
        }
        t.addFields(symbolFields());
        if (!region) {
            t.addField(SignatureEmitter.symbolValuesField());
        }
        t.addFields(ctx.fields());
        if (ctx.stringCount() > 0) {
            t.addField(FieldSpec.builder(
                            ArrayTypeName.of(JavaTypes.TENSOR), ModelContext.STRS, Modifier.PRIVATE, Modifier.FINAL)
                    .addJavadoc("Per string value: its tensor in the current call (strings live on the heap).\n")
                    .initializer("new $T[$L]", JavaTypes.TENSOR, ctx.stringCount())
                    .build());
        }
        ProfileHook.addTo(t, calls.size());
        List<MethodSpec> helpers = new ArrayList<>();
        t.addMethod(constructor(helpers));
        if (region) {
            t.addMethod(RegionEntry.invoke(
                    graph,
                    ctx,
                    chunked("stage", calls, ctx.dims().parameters(), ctx.dims().arguments(), helpers)));
            t.addMethod(RegionEntry.out(graph, ctx));
        } else {
            t.addMethod(names("inputNames", "INPUT_NAMES"));
            t.addMethod(names("outputNames", "OUTPUT_NAMES"));
            if (ctx.hasContainerIo()) {
                t.addMethod(refusedRun());
                t.addMethod(runValuesMethod(helpers));
            } else {
                t.addMethod(runMethod(helpers));
            }
            t.addMethod(arenaUsageMethod());
        }
        t.addMethod(closeMethod());
        t.addMethods(helpers);
        t.addMethods(nodeMethods);
        t.addMethods(ctx.methods());
        t.addMethods(RunSupport.methods());
        t.addMethods(VectorHelpers.methods());
        List<JavaFile> files = new ArrayList<>();
        files.add(file(t.build()));
        if (!region) {
            files.add(file(mainClass()));
        }
        files.addAll(ctx.regionFiles());
        return files;
    }

    private JavaFile file(TypeSpec type) {
        String sha = opts.sourceSha256().isEmpty() ? "" : " sha256 " + opts.sourceSha256();
        return JavaFile.builder(opts.packageName(), type)
                .addFileComment(
                        "generated by fsc $L from $L$L — do not edit", opts.fscVersion(), opts.sourceLabel(), sha)
                .skipJavaLangImports(true)
                .indent("    ")
                .build();
    }

    private void emitNodes() {
        List<Node> nodes = graph.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (ctx.isAbsorbed(n)) {
                continue;
            }
            String name = "n" + i + "_" + n.op();
            Scope scope = new Scope(ctx, n, name);
            CodeBlock body = JavaKernelSupport.emitter(n).apply(scope);
            CodeBlock doc = provenance(i, n);
            EpilogueFusion.Epilogue fused = ctx.epilogue(n);
            if (fused != null) {
                for (Node a : fused.absorbed()) {
                    doc = CodeBlock.builder()
                            .add(doc)
                            .add("Also computes, in the GEMM's epilogue, ")
                            .add(provenance(nodes.indexOf(a), a))
                            .build();
                }
            }
            nodeMethods.add(MethodSpec.methodBuilder(name)
                    .addJavadoc(doc)
                    .addModifiers(Modifier.PRIVATE)
                    .addParameters(ctx.dims().parameters())
                    .addCode(scope.prologue())
                    .addCode(body)
                    .build());
            calls.add(ProfileHook.call(calls.size(), name, ctx.dims().arguments()));
        }
    }

    private static CodeBlock provenance(int index, Node n) {
        List<String> ins = n.inputs().stream().map(v -> "%" + v.name()).toList();
        List<String> outs = n.outputs().stream().map(Value::toString).toList();
        CodeBlock.Builder b = CodeBlock.builder()
                .add(
                        "IR node #$L: {@code $L = $L($L)}",
                        index,
                        sanitize(String.join(", ", outs)),
                        n.op(),
                        sanitize(String.join(", ", ins)));
        if (!n.attrs().isEmpty()) {
            b.add(" $L", sanitize(n.attrs().toString()));
        }
        b.add(".\n");
        if (!n.name().isEmpty()) {
            b.add("ONNX node '$L'.\n", sanitize(n.name()));
        }
        return b.build();
    }

    /** Text going into comments must not end the comment or break the line. */
    static String sanitize(String s) {
        return s.replace("*/", "*\\/").replace('\n', ' ').replace('\r', ' ');
    }

    // ---- fields --------------------------------------------------------------------------------

    private List<FieldSpec> staticFields() {
        List<FieldSpec> f = new ArrayList<>();
        Modifier[] psf = {Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL};
        f.add(FieldSpec.builder(JavaTypes.FLOAT_SPECIES, ModelContext.SPECIES, psf)
                .addJavadoc("Widest float vector of this CPU, chosen once so the JIT folds it.\n")
                .initializer("$T.SPECIES_PREFERRED", JavaTypes.FLOAT_VECTOR)
                .build());
        f.add(FieldSpec.builder(JavaTypes.BYTE_ORDER, ModelContext.ORDER, psf)
                .initializer("$T.LITTLE_ENDIAN", JavaTypes.BYTE_ORDER)
                .build());
        layout(f, "F32", "OfFloat", "JAVA_FLOAT_UNALIGNED");
        layout(f, "F64", "OfDouble", "JAVA_DOUBLE_UNALIGNED");
        layout(f, "I64", "OfLong", "JAVA_LONG_UNALIGNED");
        layout(f, "I32", "OfInt", "JAVA_INT_UNALIGNED");
        layout(f, "I16", "OfShort", "JAVA_SHORT_UNALIGNED");
        layout(f, "I8", "OfByte", "JAVA_BYTE");
        ctx.dims()
                .symbols()
                .forEach((sym, param) -> f.add(FieldSpec.builder(TypeName.LONG, maxField(sym), psf)
                        .addJavadoc("Upper bound of symbol {@code $L}.\n", sanitize(sym))
                        .initializer("$LL", graph.symbols().get(sym))
                        .build()));
        List<WeightsLayout.Entry> entries = ctx.weights().entries();
        for (int i = 0; i < entries.size(); i++) {
            WeightsLayout.Entry e = entries.get(i);
            f.add(FieldSpec.builder(TypeName.LONG, "W" + i + "_OFFSET", psf)
                    .addJavadoc(
                            "Weight '$L' $L at this offset in {@code $L}.\n",
                            sanitize(e.constant().weight()),
                            e.data().type(),
                            WEIGHTS_ENTRY)
                    .initializer("$LL", e.offset())
                    .build());
            f.add(FieldSpec.builder(TypeName.LONG, "W" + i + "_BYTES", psf)
                    .initializer("$LL", e.bytes())
                    .build());
        }
        if (!region) {
            f.add(new SignatureEmitter(graph, ctx).field());
        }
        f.add(namesField("INPUT_NAMES", graph.inputs()));
        f.add(namesField("OUTPUT_NAMES", graph.outputs()));
        return f;
    }

    private static void layout(List<FieldSpec> f, String name, String kind, String constant) {
        ClassName type = JavaTypes.VALUE_LAYOUT.nestedClass(kind);
        f.add(FieldSpec.builder(type, name, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .initializer(
                        "$T.$L.withOrder($T.LITTLE_ENDIAN)", JavaTypes.VALUE_LAYOUT, constant, JavaTypes.BYTE_ORDER)
                .build());
    }

    private String maxField(String sym) {
        return "MAX_" + ctx.dims().param(sym);
    }

    private static FieldSpec namesField(String name, List<Value> values) {
        TypeName type = ParameterizedTypeName.get(ClassName.get(List.class), ClassName.get(String.class));
        CodeBlock list = CodeBlock.join(
                values.stream().map(v -> CodeBlock.of("$S", v.name())).toList(), ", ");
        return FieldSpec.builder(type, name, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                .initializer("$T.of($L)", List.class, list)
                .build();
    }

    private static List<FieldSpec> instanceFields() {
        ArrayTypeName segs = ArrayTypeName.of(JavaTypes.MEMORY_SEGMENT);
        return List.of(
                field(JavaTypes.ARENA, ModelContext.ARENA, "Owns pre-packed weights; closed by close()."),
                field(JavaTypes.PARALLELISM, ModelContext.PAR, "Threads for GEMMs and batched slices."),
                field(JavaTypes.PARALLELISM, ModelContext.SERIAL, "One thread: GEMMs inside a parallel batch loop."),
                field(JavaTypes.MEMORY_SEGMENT, ModelContext.WEIGHTS, "fsc/weights.bin, mapped read-only."),
                field(segs, ModelContext.CONST_BUF, "Per constant: its slice of the weights."),
                field(segs, ModelContext.PACKED, "Per packed GEMM operand: its panels (Sgemm.packB)."),
                field(
                        JavaTypes.MEMORY_SEGMENT,
                        ModelContext.ACTIVATIONS,
                        "Every activation, at the offsets of the memory plan; made once, owned by arena."),
                field(segs, ModelContext.SLOT_BUF, "Per planned offset: its slice of the activations."),
                field(segs, ModelContext.IN_BUF, "Per input: the caller's data for the current call."),
                FieldSpec.builder(
                                ParameterizedTypeName.get(
                                        ClassName.get(Map.class), ClassName.get(String.class), JavaTypes.TENSOR),
                                ModelContext.RESULT,
                                Modifier.PRIVATE)
                        .addJavadoc("The last call's result, returned again while the symbols stay the same.\n")
                        .build());
    }

    /** The current call's symbol values, for helpers invoked through {@code Parallelism} bodies. */
    private List<FieldSpec> symbolFields() {
        List<FieldSpec> f = new ArrayList<>();
        for (String e : ctx.dims().extents().values()) {
            f.add(FieldSpec.builder(TypeName.LONG, e, Modifier.PRIVATE)
                    .addJavadoc("An extent symbol: set by its node during the call, read by every later use.\n")
                    .build());
            f.add(FieldSpec.builder(TypeName.LONG, lastSymbolField(e), Modifier.PRIVATE)
                    .build());
        }
        for (String p : ctx.dims().symbols().values()) {
            f.add(FieldSpec.builder(TypeName.LONG, ctx.symbolField(p), Modifier.PRIVATE)
                    .build());
            f.add(FieldSpec.builder(TypeName.LONG, lastSymbolField(p), Modifier.PRIVATE)
                    .build());
        }
        return f;
    }

    private static FieldSpec field(TypeName type, String name, String doc) {
        return FieldSpec.builder(type, name, Modifier.PRIVATE, Modifier.FINAL)
                .addJavadoc("$L\n", doc)
                .build();
    }

    // ---- construction ----------------------------------------------------------------------------

    private MethodSpec constructor(List<MethodSpec> helpers) {
        int constants = ctx.weights().entries().size();
        MethodSpec.Builder m = MethodSpec.constructorBuilder()
                .addModifiers(Modifier.PUBLIC)
                .addParameter(TypeName.INT, "threads")
                .addStatement("this.$N = $T.of(threads)", ModelContext.PAR, JavaTypes.PARALLELISM)
                .addStatement("this.$N = $T.of(1)", ModelContext.SERIAL, JavaTypes.PARALLELISM)
                .addStatement("this.$N = $T.ofShared()", ModelContext.ARENA, JavaTypes.ARENA);
        if (constants > 0) {
            m.addStatement(
                    "this.$N = $T.map($T.class, $T.WEIGHTS_ENTRY, $N)",
                    ModelContext.WEIGHTS,
                    JavaTypes.WEIGHTS_FILE,
                    self,
                    JavaTypes.JAR_LAYOUT,
                    ModelContext.ARENA);
        } else {
            m.addStatement("this.$N = $T.NULL", ModelContext.WEIGHTS, JavaTypes.MEMORY_SEGMENT);
        }
        List<CodeBlock> packs = ctx.packInits();
        int slots = ctx.plan().slotCount();
        MemoryPlan plan = ctx.plan().plan();
        if (plan.alignment() > 64) {
            // The arena is aligned to 64 bytes (a page when reserved); a plan asking for more would be misplaced.
            throw new IllegalStateException(
                    "plan-memory aligned to " + plan.alignment() + " bytes, above the arena's 64");
        }
        m.addStatement("this.$N = new $T[$L]", ModelContext.CONST_BUF, JavaTypes.MEMORY_SEGMENT, constants)
                .addStatement("this.$N = new $T[$L]", ModelContext.PACKED, JavaTypes.MEMORY_SEGMENT, packs.size())
                .addStatement("this.$N = $L", ModelContext.ACTIVATIONS, activations(plan.arenaBytes()))
                .addStatement("this.$N = new $T[$L]", ModelContext.SLOT_BUF, JavaTypes.MEMORY_SEGMENT, slots)
                .addStatement(
                        "this.$N = new $T[$L]",
                        ModelContext.IN_BUF,
                        JavaTypes.MEMORY_SEGMENT,
                        graph.inputs().size());
        List<CodeBlock> slices = new ArrayList<>();
        List<WeightsLayout.Entry> entries = ctx.weights().entries();
        for (int i = 0; i < entries.size(); i++) {
            slices.add(CodeBlock.builder()
                    .addStatement(
                            "$N[$L] = $N.asSlice(W$L_OFFSET, W$L_BYTES)",
                            ModelContext.CONST_BUF,
                            i,
                            ModelContext.WEIGHTS,
                            i,
                            i)
                    .build());
        }
        List<CodeBlock> cuts = new ArrayList<>();
        for (int k = 0; k < slots; k++) {
            cuts.add(CodeBlock.builder()
                    .addStatement(
                            "$N[$L] = $N.asSlice($LL, $LL)",
                            ModelContext.SLOT_BUF,
                            k,
                            ModelContext.ACTIVATIONS,
                            ctx.plan().slotOffset(k),
                            ctx.plan().slotBytes(k))
                    .build());
        }
        m.addCode(chunked("sliceActivations", cuts, List.of(), CodeBlock.of(""), helpers));
        // Slices first: packing reads them.
        m.addCode(chunked("sliceWeights", slices, List.of(), CodeBlock.of(""), helpers));
        if (!packs.isEmpty()) {
            // One PackedMemory for all of them: pieces of shared huge-page chunks, not cleared twice.
            m.addStatement(
                    "$T $N = new $T($N)",
                    JavaTypes.PACKED_MEMORY,
                    ModelContext.PACKED_MEMORY,
                    JavaTypes.PACKED_MEMORY,
                    ModelContext.ARENA);
            m.addCode(chunked(
                    "packWeights",
                    packs,
                    List.of(com.palantir.javapoet.ParameterSpec.builder(
                                    JavaTypes.PACKED_MEMORY, ModelContext.PACKED_MEMORY)
                            .build()),
                    CodeBlock.of("$N", ModelContext.PACKED_MEMORY),
                    helpers));
        }
        ctx.fieldInits().forEach(m::addCode);
        m.addCode(chunked("initFields", ctx.helperInits(), List.of(), CodeBlock.of(""), helpers));
        if (ctx.containerCount() > 0) {
            m.addStatement("this.$N = new Object[$L]", ModelContext.CONTAINERS, ctx.containerCount());
        }
        return m.build();
    }

    /**
     * The activations' memory. With symbolic sizes it is reserved, not touched, so a call below the
     * bounds backs only the pages it uses (docs/DECISIONS.md); a fixed-shape model touches all of it
     * at its first call, so it keeps the plain zero-filled allocation (no foreign call at start-up).
     */
    private CodeBlock activations(long arenaBytes) {
        long bytes = Math.max(arenaBytes, 1);
        return graph.symbols().isEmpty()
                ? CodeBlock.of("$N.allocate($LL, 64)", ModelContext.ARENA, bytes)
                : CodeBlock.of("$T.reserve($N, $LL)", JavaTypes.ACTIVATION_MEMORY, ModelContext.ARENA, bytes);
    }

    /**
     * Splits {@code statements} into helper methods of {@link #CHUNK} statements and returns the calls,
     * so no generated method grows past the JIT's size limit however large the graph.
     */
    private static CodeBlock chunked(
            String base,
            List<CodeBlock> statements,
            List<com.palantir.javapoet.ParameterSpec> params,
            CodeBlock args,
            List<MethodSpec> helpers) {
        CodeBlock.Builder callsB = CodeBlock.builder();
        for (int from = 0, k = 0; from < statements.size(); from += CHUNK, k++) {
            String name = base + k;
            MethodSpec.Builder h = MethodSpec.methodBuilder(name)
                    .addModifiers(Modifier.PRIVATE)
                    .addParameters(params);
            statements.subList(from, Math.min(statements.size(), from + CHUNK)).forEach(h::addCode);
            helpers.add(h.build());
            callsB.addStatement("$N($L)", name, args);
        }
        return callsB.build();
    }

    private static MethodSpec names(String method, String field) {
        return MethodSpec.methodBuilder(method)
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(ParameterizedTypeName.get(ClassName.get(List.class), ClassName.get(String.class)))
                .addStatement("return $N", field)
                .build();
    }

    /** {@code arenaUsage()}: the activations' reserved and resident bytes (synchronized with a call and close). */
    private static MethodSpec arenaUsageMethod() {
        return MethodSpec.methodBuilder("arenaUsage")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC, Modifier.SYNCHRONIZED)
                .returns(JavaTypes.ACTIVATION_MEMORY.nestedClass("Usage"))
                .addStatement("return $T.usage($N)", JavaTypes.ACTIVATION_MEMORY, ModelContext.ACTIVATIONS)
                .build();
    }

    private MethodSpec closeMethod() {
        return MethodSpec.methodBuilder("close")
                .addAnnotations(
                        region
                                ? List.of()
                                : List.of(AnnotationSpec.builder(Override.class).build()))
                .addModifiers(Modifier.PUBLIC, Modifier.SYNCHRONIZED)
                .addStatement("$N.close()", ModelContext.ARENA)
                .addStatement("$N.close()", ModelContext.PAR)
                .addStatement("$N.close()", ModelContext.SERIAL)
                .addCode(CodeBlock.join(ctx.closeStatements(), ""))
                .build();
    }

    // ---- run -------------------------------------------------------------------------------------

    private MethodSpec runMethod(List<MethodSpec> helpers) {
        TypeName map =
                ParameterizedTypeName.get(ClassName.get(Map.class), ClassName.get(String.class), JavaTypes.TENSOR);
        DimCode dc = ctx.dims();
        MethodSpec.Builder m = MethodSpec.methodBuilder("run")
                .addAnnotation(Override.class)
                .addJavadoc("One inference. Not reentrant (activations share one arena), hence synchronized. The\n")
                .addJavadoc("returned tensors are views of the arena: valid until the next call or close().\n")
                .addModifiers(Modifier.PUBLIC, Modifier.SYNCHRONIZED)
                .returns(map)
                .addParameter(map, "inputs");
        m.addCode(new SignatureEmitter(graph, ctx).bind());
        m.addCode(WindowSizeChecks.of(graph, dc));
        m.addCode(chunked("stage", calls, dc.parameters(), dc.arguments(), helpers));
        // Same symbols as the last call: the same tensors over the same arena bytes, so a steady
        // stream of equal-shaped calls allocates nothing here.
        // String outputs are new tensors each call, so a graph with any builds its result each time.
        if (graph.outputs().stream().noneMatch(o -> o.dtype().isString())) {
            m.beginControlFlow("if ($N != null && $L)", ModelContext.RESULT, sameSymbols())
                    .addStatement("return $N", ModelContext.RESULT)
                    .endControlFlow();
        }
        m.addStatement("$T outputs = new $T<>()", map, LinkedHashMap.class);
        for (Value out : graph.outputs()) {
            putOutput(m, out, dc);
        }
        m.addStatement("this.$N = $T.unmodifiableMap(outputs)", ModelContext.RESULT, java.util.Collections.class);
        for (String p : dc.symbols().values()) {
            m.addStatement("this.$N = $N", lastSymbolField(p), p);
        }
        for (String e : dc.extents().values()) {
            m.addStatement("this.$N = $N", lastSymbolField(e), e);
        }
        return m.addStatement("return this.$N", ModelContext.RESULT).build();
    }

    /** A model taking or returning sequences or optionals runs through {@code runValues} only. */
    private MethodSpec refusedRun() {
        TypeName map =
                ParameterizedTypeName.get(ClassName.get(Map.class), ClassName.get(String.class), JavaTypes.TENSOR);
        return MethodSpec.methodBuilder("run")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(map)
                .addParameter(map, "inputs")
                .addStatement(
                        "throw new $T($S)",
                        JavaTypes.RUNTIME_FAILURE,
                        "this model takes or returns sequences or optionals: call runValues")
                .build();
    }

    /**
     * {@code runValues}: containers are checked and stored, tensors bound as {@code run} binds them;
     * outputs are fresh each call (a sequence is a new list), so nothing is cached between calls.
     */
    private MethodSpec runValuesMethod(List<MethodSpec> helpers) {
        TypeName tensors =
                ParameterizedTypeName.get(ClassName.get(Map.class), ClassName.get(String.class), JavaTypes.TENSOR);
        TypeName objects = ParameterizedTypeName.get(
                ClassName.get(Map.class), ClassName.get(String.class), ClassName.get(Object.class));
        DimCode dc = ctx.dims();
        MethodSpec.Builder m = MethodSpec.methodBuilder("runValues")
                .addAnnotation(Override.class)
                .addJavadoc("One inference over tensors, sequences and optionals. Not reentrant, hence synchronized.\n")
                .addModifiers(Modifier.PUBLIC, Modifier.SYNCHRONIZED)
                .returns(objects)
                .addParameter(objects, "values");
        m.addStatement("$T.checkNames(values, INPUT_NAMES)", ContainerEmitter.CONTAINERS);
        m.addStatement("$T inputs = new $T<>()", tensors, LinkedHashMap.class);
        for (Value in : graph.inputs()) {
            if (in.type().isTensor()) {
                m.addStatement(
                        "inputs.put($S, $T.tensorInput(values, $S))",
                        in.name(),
                        ContainerEmitter.CONTAINERS,
                        in.name());
            } else {
                m.addStatement(
                        "$L = $T.input(values, $S, $S, $L$L)",
                        ctx.container(in),
                        ContainerEmitter.CONTAINERS,
                        in.name(),
                        ContainerEmitter.kind(in.type()),
                        ContainerEmitter.elemType(in),
                        CodeBlock.join(
                                in.type().dims().stream()
                                        .map(d -> CodeBlock.of(", $L", dc.of(d)))
                                        .toList(),
                                ""));
            }
        }
        m.addCode(new SignatureEmitter(graph, ctx).bind());
        m.addCode(WindowSizeChecks.of(graph, dc));
        m.addCode(chunked("stage", calls, dc.parameters(), dc.arguments(), helpers));
        m.addStatement("$T outputs = new $T<>()", objects, LinkedHashMap.class);
        for (Value out : graph.outputs()) {
            putOutput(m, out, dc);
        }
        return m.addStatement("return $T.unmodifiableMap(outputs)", java.util.Collections.class)
                .build();
    }

    private String lastSymbolField(String param) {
        return "last_" + param;
    }

    private CodeBlock sameSymbols() {
        List<CodeBlock> eq = new ArrayList<>();
        for (String p : ctx.dims().symbols().values()) {
            eq.add(CodeBlock.of("$N == $N", lastSymbolField(p), p));
        }
        // Extents change with the data, not the input shapes: equal ones give equal output tensors.
        for (String e : ctx.dims().extents().values()) {
            eq.add(CodeBlock.of("$N == $N", lastSymbolField(e), e));
        }
        return eq.isEmpty() ? CodeBlock.of("true") : CodeBlock.join(eq, " && ");
    }

    private CodeBlock outputData(Value out) {
        Value root = ctx.plan().rootOf(out);
        CodeBlock bytes = ctx.dims().of(ArenaSlots.byteSize(out));
        return switch (ctx.plan().ref(root)) {
            case BufferRef.Slot s -> CodeBlock.of("$N[$L].asSlice(0L, $L)", ModelContext.SLOT_BUF, s.index(), bytes);
            // An output that is an input or a constant is copied: the caller owns what run returns.
            case BufferRef.Input i -> CodeBlock.of("copyOf($N[$L], $L)", ModelContext.IN_BUF, i.index(), bytes);
            case BufferRef.Const c -> CodeBlock.of("copyOf($N[$L], $L)", ModelContext.CONST_BUF, c.index(), bytes);
        };
    }

    private static String elemType(Value v) {
        return v.dtype().name();
    }

    private TypeSpec mainClass() {
        return TypeSpec.classBuilder("Main")
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addJavadoc(
                        "Command line of the artifact: {@code java --add-modules jdk.incubator.vector -jar model.jar}.\n")
                .addMethod(MethodSpec.constructorBuilder()
                        .addModifiers(Modifier.PRIVATE)
                        .build())
                .addMethod(MethodSpec.methodBuilder("main")
                        .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
                        .addParameter(String[].class, "args")
                        .addStatement("$T.main(args, $T::new)", JavaTypes.ARTIFACT_MAIN, self)
                        .build())
                .build();
    }

    /**
     * {@code outputs.put(name, value)} for one graph output: a sequence or optional as its run-time
     * container, a string tensor as its run-time tensor, any other tensor as a view of its bytes.
     */
    private void putOutput(MethodSpec.Builder m, Value out, DimCode dc) {
        if (!out.type().isTensor()) {
            m.addStatement("outputs.put($S, $L)", out.name(), ctx.container(out));
        } else if (out.dtype().isString()) {
            m.addStatement("outputs.put($S, $L)", out.name(), ctx.strings(out));
        } else {
            m.addStatement(
                    "outputs.put($S, new $T($T.$L, new long[] {$L}, $L))",
                    out.name(),
                    JavaTypes.TENSOR,
                    JavaTypes.ELEM_TYPE,
                    elemType(out),
                    CodeBlock.join(out.type().dims().stream().map(dc::of).toList(), ", "),
                    outputData(out));
        }
    }
}
