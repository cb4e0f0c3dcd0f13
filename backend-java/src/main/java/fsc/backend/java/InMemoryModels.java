package fsc.backend.java;

import com.palantir.javapoet.JavaFile;
import fsc.ir.Graph;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Many models compiled by one javac call, kept in memory: class bytes and weight bytes, no jar.
 *
 * <p>Starting javac costs far more than compiling one small model class, so callers that build
 * hundreds of models (the ONNX conformance runner) generate each model on its own — attributing
 * support and emitter errors to that model — and then compile a batch of them together. Each model
 * must have its own package so the batch's classes do not collide.
 */
public final class InMemoryModels {
    private InMemoryModels() {}

    /** One model's generated sources and weights, ready for {@link #compile}. */
    public static final class Generated {
        private final JavaBackendOptions options;
        private final List<JavaFile> files;
        private final byte[] weights;

        private Generated(JavaBackendOptions options, List<JavaFile> files, byte[] weights) {
            this.options = options;
            this.files = files;
            this.weights = weights;
        }

        public JavaBackendOptions options() {
            return options;
        }
    }

    /**
     * One compiled model.
     *
     * @param modelClass fully qualified name of the generated {@code CompiledModel}
     * @param classes class file bytes by binary name ({@code a.b.C}), sorted
     * @param weights the bytes the model maps as {@code fsc/weights.bin} (empty when it has no constants)
     */
    public record Model(String modelClass, SortedMap<String, byte[]> classes, byte[] weights) {}

    /** The entry a model maps its weights from, relative to the location its class was loaded from. */
    public static final String WEIGHTS_ENTRY = ModelClassEmitter.WEIGHTS_ENTRY;

    /**
     * Checks {@code g} against the support table and generates its sources. Unsupported nodes are an
     * {@link fsc.ir.FscException}, as in {@link JavaBackend#compile}.
     */
    public static Generated generate(Graph g, JavaBackendOptions opts) {
        JavaKernelSupport.check(g);
        WeightsLayout weights = WeightsLayout.of(g);
        ArenaSlots plan = ArenaSlots.of(g, JavaBackend.memoryPlan(g), weights.index(), java.util.Map.of());
        ModelContext ctx = new ModelContext(g, DimCode.forGraph(g), plan, weights);
        ctx.setOptions(opts);
        List<JavaFile> files = new ModelClassEmitter(g, opts, ctx).emit();
        return new Generated(opts, files, weights.fileBytes());
    }

    /**
     * Compiles every model of {@code batch} in one javac call. A source that does not compile fails
     * the whole call with a {@link JavacFailure}; callers that need to know which model broke compile
     * the batch's halves again.
     */
    public static List<Model> compile(List<Generated> batch) {
        Set<String> packages = new HashSet<>();
        List<JavaFile> all = new ArrayList<>();
        for (Generated g : batch) {
            if (!packages.add(g.options.packageName())) {
                throw new IllegalStateException(
                        "two models of one batch share package " + g.options.packageName() + "; give each its own");
            }
            all.addAll(g.files);
        }
        SortedMap<String, byte[]> classes = InMemoryJavac.compile(all, JavaBackend.runtimeLocation());
        List<Model> out = new ArrayList<>();
        for (Generated g : batch) {
            String prefix = g.options.packageName().replace('.', '/') + "/";
            SortedMap<String, byte[]> mine = new TreeMap<>();
            classes.forEach((entry, bytes) -> {
                // Only classes directly in the model's package: a package may prefix another's name.
                String rest = entry.startsWith(prefix) ? entry.substring(prefix.length()) : null;
                if (rest != null && !rest.contains("/") && rest.endsWith(".class")) {
                    mine.put(
                            entry.substring(0, entry.length() - ".class".length())
                                    .replace('/', '.'),
                            bytes);
                }
            });
            out.add(new Model(g.options.qualifiedClassName(), mine, g.weights));
        }
        return out;
    }
}
