package fsc.backend.java;

import com.palantir.javapoet.JavaFile;
import fsc.ir.Graph;
import fsc.ir.MemoryPlan;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.passes.FusionRules;
import fsc.passes.PlanMemoryPass;
import fsc.runtime.RuntimeFailure;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The Java backend: graph → one Vector API class per model → javac in process → a runnable jar.
 *
 * <pre>
 *   check support table → place weights → arena slots from the memory plan → emit (JavaPoet) → javac → pack jar
 * </pre>
 */
public final class JavaBackend {
    /**
     * A resource under this prefix is not a jar entry but a main attribute of the jar's manifest:
     * {@code fsc/manifest/Fsc-Quantization} → {@code Fsc-Quantization: VALUE} (one line of UTF-8),
     * so {@code unzip -p model.jar META-INF/MANIFEST.MF} shows it.
     */
    public static final String MANIFEST_ATTRIBUTE_PREFIX = "fsc/manifest/";

    private JavaBackend() {}

    /**
     * Whether the support table has a kernel for {@code n} as typed: the question the {@code
     * widen-halves} pass asks before running an f16/bf16 node in f32 ({@code Pipelines.cpuDefault}).
     */
    public static boolean hasKernel(Node n) {
        return JavaKernelSupport.supports(n);
    }

    /**
     * What the {@code fuse} pass may do for this backend: chains of the ops {@link
     * FusedElementwiseEmitter} has loop bodies for, leaving a matmul's bias add and relu/gelu to the
     * GEMM epilogue ({@link EpilogueFusion}).
     */
    public static FusionRules fusionRules() {
        Set<String> chain = new TreeSet<>(fusedLoopOps());
        chain.removeAll(FusedElementwiseEmitter.NOT_CHAINED);
        return new FusionRules(chain, true, EpilogueFusion.GEMM_ACTIVATIONS);
    }

    /**
     * Every op a fused element-wise node's body may hold for this backend to emit it: a superset of
     * what {@link #fusionRules()} chains, since another backend's graph (a cuda,java jar) may fuse more.
     */
    public static Set<String> fusedLoopOps() {
        Set<String> ops = new TreeSet<>(FusedElementwiseEmitter.BINARY);
        ops.addAll(FusedElementwiseEmitter.UNARY);
        return ops;
    }

    /** Compiles {@code g} (after {@code fold}) into {@code outJar}. User errors are {@link fsc.ir.FscException}s. */
    public static JavaBackendResult compile(Graph g, JavaBackendOptions opts, Path outJar) {
        return compile(g, opts, outJar, new TreeMap<>());
    }

    /**
     * As {@link #compile(Graph, JavaBackendOptions, Path)}, adding {@code resources} (jar entry name →
     * bytes) beside the model, e.g. a decoder's tokenizer and cache layout ({@code fsc/llm.json}).
     */
    public static JavaBackendResult compile(
            Graph g, JavaBackendOptions opts, Path outJar, SortedMap<String, byte[]> resources) {
        long t0 = System.nanoTime();
        JavaKernelSupport.check(g);
        GeneratedModel gen = generate(g, opts);
        long t1 = System.nanoTime();
        Path runtime = runtimeLocation();
        SortedMap<String, byte[]> classes = InMemoryJavac.compile(gen.files(), runtime);
        BytecodeLimits.check(classes);
        long t2 = System.nanoTime();
        SortedMap<String, String> sources = new TreeMap<>();
        int lines = 0;
        for (JavaFile f : gen.files()) {
            String text = f.toString();
            sources.put(f.packageName().replace('.', '/') + "/" + f.typeSpec().name() + ".java", text);
            lines += (int) text.lines().count();
        }
        byte[] weights = gen.weights().fileBytes();
        SortedMap<String, byte[]> entries = new TreeMap<>(resources);
        entries.put(
                fsc.runtime.perf.ProfiledModel.NODES_ENTRY,
                gen.nodes().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        JarPacker.write(
                outJar,
                new JarPacker.Contents(
                        opts.packageName() + ".Main",
                        opts.qualifiedClassName(),
                        classes,
                        sources,
                        ModelJson.of(g, opts),
                        weights,
                        entries),
                runtime);
        long t3 = System.nanoTime();
        return new JavaBackendResult(
                outJar,
                opts.qualifiedClassName(),
                new ArrayList<>(classes.keySet()),
                weights.length,
                lines,
                (t1 - t0) / 1_000_000,
                (t2 - t1) / 1_000_000,
                (t3 - t2) / 1_000_000);
    }

    /** The generated sources and weight placement, without compiling (for snapshot tests and dumps). */
    public static List<String> sources(Graph g, JavaBackendOptions opts) {
        JavaKernelSupport.check(g);
        return generate(g, opts).files().stream().map(JavaFile::toString).toList();
    }

    /** {@code nodes}: the profiling table ({@code fsc/nodes.json}, see {@link ProfileTable}). */
    /**
     * Where each constant the generated code reads lies in {@code fsc/weights.bin} (byte offset, by
     * constant value). Another target packed into the same jar (CUDA) places its weights at these
     * offsets and reads this entry, so a {@code cuda,java} jar stores the weights once.
     */
    public static Map<Value, Long> weightOffsets(Graph g) {
        Map<Value, Long> at = new IdentityHashMap<>();
        for (WeightsLayout.Entry e : WeightsLayout.of(g).entries()) {
            at.put(e.constant().value(), e.offset());
        }
        return at;
    }

    private record GeneratedModel(List<JavaFile> files, WeightsLayout weights, String nodes) {}

    private static GeneratedModel generate(Graph g, JavaBackendOptions opts) {
        WeightsLayout weights = WeightsLayout.of(g);
        MemoryPlan memory = memoryPlan(g);
        EpilogueFusion fusion = EpilogueFusion.of(g, weights, memory);
        ArenaSlots plan = ArenaSlots.of(g, memory, weights.index(), fusion.aliases());
        ModelContext ctx = new ModelContext(g, DimCode.forGraph(g), plan, weights, fusion);
        ctx.setOptions(opts);
        return new GeneratedModel(new ModelClassEmitter(g, opts, ctx).emit(), weights, ProfileTable.json(g, ctx));
    }

    /**
     * The classes of a control-flow region lifted into {@code region} (no constants: captured
     * weights arrive as inputs), named by {@code opts}: an {@code invoke}/{@code out} class with its
     * own memory plan, plus the classes of any regions nested in it.
     */
    static List<JavaFile> regionClasses(Graph region, JavaBackendOptions opts) {
        JavaKernelSupport.check(region);
        WeightsLayout weights = WeightsLayout.of(region);
        MemoryPlan memory = PlanMemoryPass.plan(region);
        EpilogueFusion fusion = EpilogueFusion.of(region, weights, memory);
        ArenaSlots plan = ArenaSlots.of(region, memory, weights.index(), fusion.aliases());
        ModelContext ctx = new ModelContext(region, DimCode.forGraph(region), plan, weights, fusion);
        ctx.setOptions(opts);
        return new ModelClassEmitter(region, opts, ctx, true).emit();
    }

    /**
     * The graph's memory plan, or a fresh one from {@link PlanMemoryPass#plan} when no pipeline ran
     * {@code plan-memory} (tests and tools that compile a graph directly).
     */
    static MemoryPlan memoryPlan(Graph g) {
        return g.plan() != null ? g.plan() : PlanMemoryPass.plan(g);
    }

    /** Where the runtime's classes come from: its classes directory in a build, or the fsc jar. */
    static Path runtimeLocation() {
        CodeSource src = RuntimeFailure.class.getProtectionDomain().getCodeSource();
        if (src == null || src.getLocation() == null) {
            throw new IllegalStateException("cannot locate the fsc runtime's classes (no code source)");
        }
        try {
            return Path.of(src.getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad runtime location " + src.getLocation(), e);
        }
    }
}
