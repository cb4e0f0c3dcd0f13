package fsc.cli;

import fsc.runtime.CompiledModel;
import fsc.runtime.ModelJar;
import java.nio.file.Path;

/** Loads a compiled model jar into this JVM: {@link ModelJar}, under the name the CLI's callers use. */
public final class ArtifactLoader {
    /** Manifest attribute naming the generated model class. */
    public static final String MODEL_CLASS_ATTRIBUTE = ModelJar.MODEL_CLASS_ATTRIBUTE;

    private ArtifactLoader() {}

    /** A new model instance using {@code threads} worker threads. */
    public static CompiledModel open(Path jar, int threads) {
        return ModelJar.open(jar, threads);
    }
}
