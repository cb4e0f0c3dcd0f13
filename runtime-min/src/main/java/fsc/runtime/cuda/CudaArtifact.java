package fsc.runtime.cuda;

import fsc.runtime.CompiledModel;
import fsc.runtime.RuntimeFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * Chooses what runs a model jar: a jar without {@code fsc/cuda/target.json} is a Java jar and runs
 * its Java model; a CUDA jar opens its launcher on the GPU. Where there is no GPU, a jar compiled
 * with {@code --target cuda} fails with one line, and one compiled with {@code --target cuda,java}
 * prints a one-line notice and runs the Java code it also carries.
 *
 * <p>The jar's own {@code Main} (through {@code ArtifactMain}) and the CLI's {@code ArtifactLoader}
 * both come through {@link #select}, so every command behaves the same.
 */
public final class CudaArtifact {
    private CudaArtifact() {}

    /**
     * A factory (by thread count) for the model in the jar {@code jar} loads: {@code javaModel}
     * unchanged for a Java jar, else the CUDA model with the fallback rules above. Notices go to
     * {@code notices}.
     */
    public static IntFunction<CompiledModel> select(
            ClassLoader jar, IntFunction<CompiledModel> javaModel, PrintStream notices) {
        String json = text(jar, CudaTarget.ENTRY);
        if (json == null) {
            return javaModel;
        }
        CudaTarget target = CudaTarget.parse(json);
        return threads -> {
            try {
                return open(jar, target);
            } catch (CudaUnavailableException e) {
                if (!target.javaFallback()) {
                    throw new RuntimeFailure(
                            e.getMessage() + "; this jar was compiled with --target cuda (compile with --target"
                                    + " cuda,java to carry a CPU fallback)");
                }
                notices.println("notice: " + e.getMessage() + "; running the Java code this jar carries"
                        + " (--target cuda,java)");
                return javaModel.apply(threads);
            }
        };
    }

    /** The CUDA model: launcher class, weights and PTX (or source, compiled here by NVRTC) from the jar. */
    static CompiledModel open(ClassLoader jar, CudaTarget target) {
        // Probe the driver before reading weights: a GPU-less machine answers in one line at once.
        if (CudaDriver.load().isEmpty()) {
            throw new CudaUnavailableException(CudaDriver.NO_DRIVER);
        }
        CudaProgram program = launcher(jar, target.launcher());
        try (Arena a = Arena.ofConfined()) {
            byte[] w = bytes(jar, CudaTarget.WEIGHTS);
            MemorySegment weights = a.allocate(Math.max(1, w.length), 256);
            MemorySegment.copy(MemorySegment.ofArray(w), 0, weights, 0, w.length);
            weights = weights.asSlice(0, w.length);
            CudaModel gpu = target.hasPtx()
                    ? CudaModel.open(program, new String(bytes(jar, CudaTarget.PTX), StandardCharsets.UTF_8), weights)
                    : CudaModel.openFromSource(
                            program, new String(bytes(jar, CudaTarget.SOURCE), StandardCharsets.UTF_8), weights);
            return new CudaCompiledModel(program, gpu);
        }
    }

    private static CudaProgram launcher(ClassLoader jar, String className) {
        try {
            return (CudaProgram)
                    Class.forName(className, true, jar).getConstructor().newInstance();
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("CUDA launcher " + className + " failed to initialise", e.getCause());
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new RuntimeFailure(CudaTarget.ENTRY + ": cannot load launcher class " + className + " (" + e + ")");
        }
    }

    private static String text(ClassLoader jar, String entry) {
        try (InputStream in = jar.getResourceAsStream(entry)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RuntimeFailure(entry + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static byte[] bytes(ClassLoader jar, String entry) {
        try (InputStream in = jar.getResourceAsStream(entry)) {
            if (in == null) {
                throw new RuntimeFailure("this CUDA jar has no " + entry);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new RuntimeFailure(entry + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
