package fsc.compiler;

import fsc.backend.java.InMemoryModels;
import fsc.backend.java.JavaBackendOptions;
import fsc.backend.java.MemoryModelLoader;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.passes.Pass;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.Precision;
import fsc.runtime.CompiledModel;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The variants of one quantized compile (fp32, int8, int4, auto's choice) compiled as the jar would
 * be, by the rest of the pipeline and the Java backend, but in memory: one javac call for all of
 * them, classes defined by a {@link MemoryModelLoader}, weights in a scratch folder that {@link
 * #close} deletes. So the report times the kernels the jar runs, not the reference interpreter.
 */
final class QuantVariants implements AutoCloseable {
    /** One variant to compile: its name and each layer's precision (null: the unquantized model). */
    record Variant(String name, Map<String, Precision> assignment) {}

    /** One variant compiled and instantiated. */
    record Loaded(Variant variant, CompiledModel model) {}

    private final Path scratch;
    private final List<Loaded> loaded = new ArrayList<>();

    private QuantVariants(Path scratch) {
        this.scratch = scratch;
    }

    /**
     * Compiles every variant from {@code f32} (the graph the {@code quantize} pass receives) through
     * {@code rest} (the pipeline after it), a quantized one with {@code measure}'s pass in front, and
     * opens each with {@code threads} worker threads.
     */
    static QuantVariants compile(
            Graph f32, List<Pass> rest, QuantMeasure measure, List<Variant> variants, int threads) {
        List<InMemoryModels.Generated> generated = new ArrayList<>();
        for (Variant v : variants) {
            List<Pass> passes = new ArrayList<>();
            if (v.assignment() != null) {
                passes.add(measure.pass(v.assignment()));
            }
            passes.addAll(rest);
            Graph g = PassManager.builder()
                    .build()
                    .run(f32, passes, PassContext.defaults())
                    .graph();
            generated.add(InMemoryModels.generate(
                    g,
                    new JavaBackendOptions(
                            "fsc.quantspeed." + v.name(),
                            "VariantModel",
                            v.name() + " variant",
                            "",
                            JavaBackendOptions.DEFAULT_VERSION)));
        }
        List<InMemoryModels.Model> models = InMemoryModels.compile(generated);
        generated.clear(); // the weights' bytes: the scratch files hold them from here on
        QuantVariants out;
        try {
            out = new QuantVariants(Files.createTempDirectory("fsc-quant-speed"));
        } catch (IOException e) {
            throw new FscException(
                    "cannot create a scratch folder to time the quantized variants in: " + e.getMessage());
        }
        try {
            MemoryModelLoader loader =
                    new MemoryModelLoader("fsc-quant-speed", models, out.scratch, QuantVariants.class.getClassLoader());
            for (int i = 0; i < variants.size(); i++) {
                out.loaded.add(
                        new Loaded(variants.get(i), open(loader, models.get(i).modelClass(), threads)));
            }
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    private static CompiledModel open(ClassLoader loader, String modelClass, int threads) {
        try {
            return (CompiledModel) Class.forName(modelClass, true, loader)
                    .getConstructor(int.class)
                    .newInstance(threads);
        } catch (InvocationTargetException e) {
            throw new FscException("a quantized variant failed to initialise for timing: " + e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load the generated class " + modelClass, e);
        }
    }

    List<Loaded> loaded() {
        return loaded;
    }

    /** Closes every model (threads, arenas, mapped weights), then deletes the scratch folder. */
    @Override
    public void close() {
        for (Loaded l : loaded) {
            l.model().close();
        }
        loaded.clear();
        try (Stream<Path> files = Files.walk(scratch)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a scratch file left in the temp folder does not change the compile's outcome
        }
    }
}
