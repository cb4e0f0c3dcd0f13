package fsc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.backend.java.JavaBackendOptions;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CudaBackendTest {
    @Test
    void miniLmGeometryFollowsTheSymbols() {
        CudaModule m = CudaBackend.module(TestModels.miniLm(), "test");
        Kernel q = m.kernels().stream()
                .filter(k -> k.op().equals("matmul"))
                .findFirst()
                .orElseThrow();
        assertTrue(q.name().startsWith("f32_matmul_batchxbatch_1x384_n"), q.name());
        // [2*128, 384] x [384, 384]: 64x64 tiles -> 6 column tiles, 4 row tiles, one batch.
        assertArrayEquals(new long[] {6, 4, 1}, q.launch().gridFor(Map.of("batch", 2L, "batch_1", 128L)));
        Kernel att = m.kernels().stream()
                .filter(k -> k.op().equals("attention"))
                .findFirst()
                .orElseThrow();
        // One block per query row (2 x 12 heads x 128), scores (128 floats) + the query row (32 floats).
        assertArrayEquals(new long[] {2 * 12 * 128, 1, 1}, att.launch().gridFor(Map.of("batch", 2L, "batch_1", 128L)));
        assertEquals((128 + 32) * 4, att.launch().sharedFor(Map.of("batch", 2L, "batch_1", 128L)));
        Kernel ln = m.kernels().stream()
                .filter(k -> k.op().equals("layer_norm"))
                .findFirst()
                .orElseThrow();
        assertArrayEquals(new long[] {32 * 512, 1, 1}, ln.launch().gridFor(Map.of("batch", 32L, "batch_1", 512L)));
    }

    @Test
    void hostClassEvaluatesTheSameFormulas() {
        CudaModule m = CudaBackend.module(TestModels.miniLm(), "test");
        Kernel k = m.kernels().get(0);
        String code = HostClassEmitter.launch(k, m.symbols()).toString();
        assertTrue(code.contains("\"" + k.name() + "\""), code);
        assertEquals(
                "384L * s[0] * s[1]",
                HostClassEmitter.javaDim(
                        fsc.ir.Dim.of(384).times(fsc.ir.Dim.sym("batch")).times(fsc.ir.Dim.sym("batch_1")),
                        List.of("batch", "batch_1")));
    }

    @Test
    void emissionIsDeterministic() {
        Graph g = SmallGraphs.mixed(DType.F32);
        assertEquals(
                CudaBackend.module(g, "b").source(), CudaBackend.module(g, "b").source());
    }

    @Test
    void everyFloatDtypeCompilesIncludingTensorCoreGemm() {
        int kernels = 0;
        for (DType t : List.of(DType.F32, DType.F16, DType.BF16)) {
            CudaModule m = CudaBackend.module(SmallGraphs.mixed(t), "mixed " + t.irName());
            kernels += m.kernels().size();
            if (t != DType.F32) {
                assertTrue(m.source().contains("wmma::mma_sync"), "tensor cores for " + t);
            }
            String ptx = TestModels.nvccOrSkip().ptx(m.source(), "mixed_" + t.irName() + ".cu", "sm_90");
            for (Kernel k : m.kernels()) {
                assertTrue(ptx.contains(".entry " + k.name() + "("), k.name());
            }
        }
        assertEquals(12, kernels);
    }

    @Test
    void compileErrorsCarryTheLogAndNumberedSource() {
        String bad = "extern \"C\" __global__ void k() {\n  int x = ;\n}\n";
        FscException e =
                assertThrows(FscException.class, () -> TestModels.nvccOrSkip().ptx(bad, "bad.cu", "sm_90"));
        assertTrue(e.getMessage().contains("bad.cu(2): error"), e.getMessage());
        assertTrue(e.getMessage().contains("     2 |   int x = ;"), e.getMessage());
    }

    @Test
    void unsupportedNodesAreListedBeforeEmission() {
        fsc.ir.GraphBuilder b = new fsc.ir.GraphBuilder("bad");
        var x = b.input("x", new fsc.ir.TensorType(DType.F32, List.of(fsc.ir.Dim.of(4))));
        b.output(b.node("cumsum", "c", List.of(x), Map.of("axis", new fsc.ir.Attr.Int(0))));
        FscException e = assertThrows(FscException.class, () -> CudaKernelSupport.check(b.build()));
        assertTrue(e.getMessage().contains("node 'c' (cumsum)"), e.getMessage());
    }

    @Test
    void jarCarriesSourcePtxAndHostClass(@TempDir Path dir) throws Exception {
        Graph g = SmallGraphs.mixed(DType.F32);
        Path jar = dir.resolve("m.jar");
        var opts = new CudaBackendOptions(
                "sm_90", "generated", true, dir.resolve("dump"), Nvcc.find(System.getenv("PATH")));
        CudaBackend.Result r = CudaBackend.compile(g, JavaBackendOptions.forModel("mixed"), opts, jar);
        try (JarFile j = new JarFile(jar.toFile())) {
            assertTrue(j.getEntry("fsc/cuda/model.cu") != null);
            assertTrue(j.getEntry("fsc/generated/mixed/CudaLauncher.class") != null);
            // One weights entry, the Java backend's, read by both targets (issue 16: a cuda,java jar
            // stored them twice).
            assertEquals(null, j.getEntry("fsc/cuda/weights.bin"));
            assertEquals(
                    1,
                    j.stream().filter(e -> e.getName().endsWith("weights.bin")).count());
            assertEquals(!r.ptxBy().equals("none"), j.getEntry("fsc/cuda/model.ptx") != null);
            String target = new String(
                    j.getInputStream(j.getEntry("fsc/cuda/target.json")).readAllBytes());
            assertTrue(target.contains("\"fallback\": \"java\""), target);
        }
        assertTrue(java.nio.file.Files.isRegularFile(dir.resolve("dump/model.cu")));
        if (r.ptxBy().equals("none")) {
            System.err.println("SKIPPED part: no NVRTC and no nvcc, the jar carries CUDA source only");
        }
    }

    @Test
    void deviceWeightsAreTheJavaBackendsWeightsEntry() {
        Graph g = SmallGraphs.mixed(DType.F32);
        CudaModule m = CudaBackend.module(g, "shared");
        Map<fsc.ir.Value, Long> java = fsc.backend.java.JavaBackend.weightOffsets(g);
        assertTrue(!java.isEmpty(), "the graph has weights to place");
        for (var e : java.entrySet()) {
            DeviceLayout.Address a = m.layout().address(e.getKey());
            assertEquals(DeviceLayout.Space.WEIGHTS, a.space(), e.getKey().name());
            assertEquals(e.getValue().longValue(), a.offset(), e.getKey().name());
        }
    }
}
