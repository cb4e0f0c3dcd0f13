package fsc.runtime;

import fsc.runtime.cuda.CudaArtifact;
import fsc.runtime.llm.LlmConfig;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;

/**
 * Opens a compiled model jar in this JVM, for programs that embed a model (the CLI, the examples,
 * an application on an edge device). The jar carries its own copy of runtime-min; it is loaded
 * parent-first, so the {@link CompiledModel} interface is this JVM's and the jar's copy stays
 * unused in-process.
 */
public final class ModelJar {
    /** Manifest attribute naming the generated model class. */
    public static final String MODEL_CLASS_ATTRIBUTE = "Fsc-Model-Class";

    private ModelJar() {}

    /** A new model instance using {@code threads} worker threads. */
    public static CompiledModel open(Path jar, int threads) {
        String className;
        try (JarFile jf = openJar(jar)) {
            var manifest = jf.getManifest();
            className = manifest == null ? null : manifest.getMainAttributes().getValue(MODEL_CLASS_ATTRIBUTE);
        } catch (IOException e) {
            throw new RuntimeFailure(jar + ": not a readable jar (" + e.getMessage() + ")");
        }
        if (className == null) {
            throw new RuntimeFailure(
                    jar + ": not an fsc model jar (its manifest has no " + MODEL_CLASS_ATTRIBUTE + ")");
        }
        try {
            URLClassLoader loader =
                    new URLClassLoader(new URL[] {jar.toUri().toURL()}, ModelJar.class.getClassLoader());
            Class<?> cls = Class.forName(className, true, loader);
            // A CUDA jar runs on the GPU, or falls back to (or refuses) the Java model: see CudaArtifact.
            return CudaArtifact.select(loader, t -> javaModel(jar, cls, t), System.err)
                    .apply(threads);
        } catch (ClassNotFoundException | IOException e) {
            throw new RuntimeFailure(jar + ": cannot load model class " + className + ": " + e, e);
        }
    }

    /**
     * Whether the jar holds a decoder compiled from GGUF (it carries {@link LlmConfig#ENTRY}): its
     * graph inputs are the paged KV cache's internals, so it is driven by {@code generate}, not by
     * tensors a user passes.
     */
    public static boolean isDecoder(Path jar) {
        try (JarFile jf = openJar(jar)) {
            return jf.getEntry(LlmConfig.ENTRY) != null;
        } catch (IOException e) {
            throw new RuntimeFailure(jar + ": not a readable jar (" + e.getMessage() + ")");
        }
    }

    private static JarFile openJar(Path jar) throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new RuntimeFailure(jar + ": no such file");
        }
        return new JarFile(jar.toFile());
    }

    private static CompiledModel javaModel(Path jar, Class<?> cls, int threads) {
        try {
            return (CompiledModel) cls.getConstructor(int.class).newInstance(threads);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new RuntimeFailure(jar + ": model failed to initialise: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new RuntimeFailure(jar + ": cannot load model class " + cls.getName() + ": " + e, e);
        }
    }
}
