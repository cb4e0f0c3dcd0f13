package fsc.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.CompiledModel;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which model a jar runs: Java jars unchanged; CUDA jars without a GPU refuse or fall back in one line. */
class CudaArtifactTest {
    /** Stands in for a generated Java model: records that it was built. */
    private record JavaModel(int threads) implements CompiledModel {
        @Override
        public List<String> inputNames() {
            return List.of("x");
        }

        @Override
        public List<String> outputNames() {
            return List.of("y");
        }

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs) {
            return Map.of();
        }

        @Override
        public void close() {}
    }

    private static final IntFunction<CompiledModel> JAVA = JavaModel::new;

    private static ClassLoader jarWith(Path dir, String targetJson) throws Exception {
        if (targetJson != null) {
            Path f = dir.resolve(CudaTarget.ENTRY);
            Files.createDirectories(f.getParent());
            Files.writeString(f, targetJson);
        }
        return new URLClassLoader(new URL[] {dir.toUri().toURL()}, null);
    }

    private static String target(String fallback) {
        return "{\"arch\": \"sm_90\", \"gemm\": \"generated\", \"fallback\": \"" + fallback
                + "\", \"launcher\": \"fsc.generated.m.CudaLauncher\", \"ptx\": false, \"ptx_by\": \"none\"}\n";
    }

    private static boolean skipWithDriver() {
        if (CudaDriver.load().isPresent()) {
            System.err.println("SKIPPED check: this machine has a CUDA driver, so the no-GPU path cannot run");
            return true;
        }
        return false;
    }

    @Test
    void aJarWithoutTargetJsonRunsItsJavaModel(@TempDir Path dir) throws Exception {
        assertSame(JAVA, CudaArtifact.select(jarWith(dir, null), JAVA, System.err));
    }

    @Test
    void cudaOnlyJarWithoutAGpuFailsInOneLine(@TempDir Path dir) throws Exception {
        if (skipWithDriver()) {
            return;
        }
        IntFunction<CompiledModel> f = CudaArtifact.select(jarWith(dir, target("none")), JAVA, System.err);
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> f.apply(1));
        assertTrue(
                e.getMessage().startsWith(CudaDriver.NO_DRIVER + "; this jar was compiled with --target cuda"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void cudaJavaJarWithoutAGpuFallsBackWithANotice(@TempDir Path dir) throws Exception {
        if (skipWithDriver()) {
            return;
        }
        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(notes, true, StandardCharsets.UTF_8);
        CompiledModel m =
                CudaArtifact.select(jarWith(dir, target("java")), JAVA, ps).apply(3);
        assertEquals(new JavaModel(3), m);
        String text = notes.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("notice: " + CudaDriver.NO_DRIVER), text);
        assertTrue(text.contains("--target cuda,java"), text);
    }

    @Test
    void targetJsonIsParsedAndCheckedWithOneLineErrors() {
        CudaTarget t = CudaTarget.parse(target("java"));
        assertEquals(new CudaTarget("sm_90", "generated", true, "fsc.generated.m.CudaLauncher", false), t);
        assertEquals("cuda,java", t.targetFlag());
        RuntimeFailure bad = assertThrows(RuntimeFailure.class, () -> CudaTarget.parse(target("cpu")));
        assertEquals("fsc/cuda/target.json: fallback is 'cpu', expected java or none", bad.getMessage());
        RuntimeFailure missing = assertThrows(RuntimeFailure.class, () -> CudaTarget.parse("{\"fallback\": \"none\"}"));
        assertEquals("fsc/cuda/target.json: missing string field 'arch'", missing.getMessage());
    }

    @Test
    void programSymbolsMapOntoTheSignatureOrder() {
        int[] idx = CudaCompiledModel.symbolIndex(List.of("B", "S"), List.of("S", "B"));
        assertEquals(List.of(1, 0), java.util.Arrays.stream(idx).boxed().toList());
        assertThrows(IllegalStateException.class, () -> CudaCompiledModel.symbolIndex(List.of("T"), List.of("S")));
    }
}
