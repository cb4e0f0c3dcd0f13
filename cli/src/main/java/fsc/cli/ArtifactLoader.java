package fsc.cli;

import fsc.runtime.CompiledModel;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.cuda.CudaArtifact;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;

/**
 * Loads a compiled model jar into this JVM. The jar carries its own copy of runtime-min; loading
 * is parent-last for {@code fsc.runtime} classes would break the {@link CompiledModel} interface
 * identity, so the jar is loaded parent-first and its runtime copy stays unused in-process.
 */
public final class ArtifactLoader {
    /** Manifest attribute naming the generated model class. */
    public static final String MODEL_CLASS_ATTRIBUTE = "Fsc-Model-Class";

    private ArtifactLoader() {}

    /** A new model instance using {@code threads} worker threads. */
    public static CompiledModel open(Path jar, int threads) {
        if (!Files.isRegularFile(jar)) {
            throw new RuntimeFailure(jar + ": no such file");
        }
        String className;
        try (JarFile jf = new JarFile(jar.toFile())) {
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
                    new URLClassLoader(new URL[] {jar.toUri().toURL()}, ArtifactLoader.class.getClassLoader());
            Class<?> cls = Class.forName(className, true, loader);
            // A CUDA jar runs on the GPU, or falls back to (or refuses) the Java model: see CudaArtifact.
            return CudaArtifact.select(loader, t -> javaModel(jar, cls, t), System.err)
                    .apply(threads);
        } catch (ClassNotFoundException | IOException e) {
            throw new RuntimeFailure(jar + ": cannot load model class " + className + ": " + e, e);
        }
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
