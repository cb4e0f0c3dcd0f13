package fsc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.backend.java.JavaBackendOptions;
import fsc.ir.DType;
import fsc.runtime.CompiledModel;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import fsc.runtime.cuda.CudaArtifact;
import fsc.runtime.cuda.CudaDriver;
import fsc.runtime.cuda.CudaProgram;
import fsc.runtime.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CUDA jar on this (GPU-less) machine: compiled with {@code --target cuda} it refuses in one line
 * with exit code 2; with {@code --target cuda,java} it prints a notice and runs its Java code. Both
 * in-process (the path {@code fsc run} takes through {@code ArtifactLoader}) and as {@code java -jar}
 * in a child JVM (the jar's own {@code Main}). On a machine with a driver these checks cannot run.
 */
class CudaJarRunTest {
    private static Path compile(Path dir, boolean fallback) {
        Path jar = dir.resolve(fallback ? "m-cuda-java.jar" : "m-cuda.jar");
        var opts = new CudaBackendOptions("sm_90", "generated", fallback, null, Optional.empty());
        CudaBackend.compile(SmallGraphs.mixed(DType.F32), JavaBackendOptions.forModel("mixed"), opts, jar);
        return jar;
    }

    private static void skipWithDriver() {
        if (CudaDriver.load().isPresent()) {
            String why = "SKIPPED: this machine has a CUDA driver, so the no-GPU paths cannot be exercised";
            System.err.println(why);
            Assumptions.abort(why);
        }
    }

    /** What {@code ArtifactLoader.open} does: the manifest's model class, through {@link CudaArtifact#select}. */
    private static CompiledModel openInProcess(Path jar, PrintStream notices) throws Exception {
        String cls;
        try (JarFile jf = new JarFile(jar.toFile())) {
            cls = jf.getManifest().getMainAttributes().getValue("Fsc-Model-Class");
        }
        URLClassLoader loader =
                new URLClassLoader(new URL[] {jar.toUri().toURL()}, CudaJarRunTest.class.getClassLoader());
        Class<?> model = Class.forName(cls, true, loader);
        return CudaArtifact.select(
                        loader,
                        t -> {
                            try {
                                return (CompiledModel)
                                        model.getConstructor(int.class).newInstance(t);
                            } catch (ReflectiveOperationException e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        notices)
                .apply(1);
    }

    private static Map<String, Tensor> input() {
        float[] x = new float[3 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.cos(i * 0.1);
        }
        return Map.of("x", Tensor.ofFloats(new long[] {3, 64}, x));
    }

    @Test
    void cudaOnlyJarRefusesInProcess(@TempDir Path dir) {
        skipWithDriver();
        Path jar = compile(dir, false);
        RuntimeFailure e = org.junit.jupiter.api.Assertions.assertThrows(
                RuntimeFailure.class, () -> openInProcess(jar, System.err));
        assertTrue(e.getMessage().startsWith("no CUDA driver found"), e.getMessage());
        assertTrue(e.getMessage().contains("this jar was compiled with --target cuda"), e.getMessage());
    }

    @Test
    void cudaJavaJarFallsBackInProcessAndComputes(@TempDir Path dir) throws Exception {
        skipWithDriver();
        Path jar = compile(dir, true);
        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        try (CompiledModel m = openInProcess(jar, new PrintStream(notes, true, StandardCharsets.UTF_8))) {
            Tensor y = m.run(input()).values().iterator().next();
            assertEquals(List.of(3L), java.util.Arrays.stream(y.shape()).boxed().toList());
            // rms_norm(softmax(.)) * scale, averaged: finite, and the same for equal inputs.
            assertTrue(Float.isFinite(y.getFloat(0)), y.toString());
        }
        assertTrue(notes.toString(StandardCharsets.UTF_8).startsWith("notice: no CUDA driver found"), notes.toString());
    }

    private record Child(int exit, String out, String err) {}

    private static Child javaJar(Path jar, Path dir) throws Exception {
        Path x = dir.resolve("x.npy");
        Npy.write(x, input().get("x"));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-jar",
                jar.toString(),
                "--input",
                "x=" + x));
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile())
                .start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish in 60 s");
        return new Child(
                p.exitValue(), Files.readString(dir.resolve("out.txt")), Files.readString(dir.resolve("err.txt")));
    }

    @Test
    void cudaOnlyJarExitsTwoWithOneLineInAChildJvm(@TempDir Path dir) throws Exception {
        skipWithDriver();
        Child c = javaJar(compile(dir, false), dir);
        assertEquals(2, c.exit(), c.err());
        List<String> lines =
                c.err().lines().filter(l -> !l.startsWith("WARNING")).toList();
        assertEquals(1, lines.size(), c.err());
        assertTrue(lines.get(0).startsWith("error: no CUDA driver found"), c.err());
        assertTrue(lines.get(0).contains("--target cuda"), c.err());
    }

    @Test
    void cudaJavaJarRunsItsJavaCodeInAChildJvm(@TempDir Path dir) throws Exception {
        skipWithDriver();
        Child c = javaJar(compile(dir, true), dir);
        assertEquals(0, c.exit(), c.err());
        assertTrue(c.err().contains("notice: no CUDA driver found"), c.err());
        assertTrue(c.out().startsWith("rm f32[3] = ["), c.out());
    }

    @Test
    void launcherDescribesInputsOutputsAndInPlaceState(@TempDir Path dir) throws Exception {
        Path jar = compile(dir, false);
        try (URLClassLoader loader =
                new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
            CudaProgram p = (CudaProgram) Class.forName("fsc.generated.mixed.CudaLauncher", true, loader)
                    .getConstructor()
                    .newInstance();
            assertEquals(List.of("S"), p.symbols());
            assertEquals("x", p.inputs().get(0).name());
            assertEquals(4, p.inputs().get(0).elementBytes());
            assertEquals("S<=256", p.inputSpecs().get(0).dims().get(0).toString());
            assertEquals(
                    List.of(7L),
                    java.util.Arrays.stream(p.outputShape(0, new long[] {7}))
                            .boxed()
                            .toList());
            assertTrue(p.inputs().stream().noneMatch(CudaProgram.Slot::resident));
        }
    }
}
