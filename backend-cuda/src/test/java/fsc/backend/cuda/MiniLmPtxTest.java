package fsc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Graph;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every kernel emitted for all-MiniLM-L6-v2 after the default pipeline compiles with nvcc -ptx -arch=sm_90. */
class MiniLmPtxTest {
    @Test
    void everyMiniLmKernelCompilesToPtx() {
        Graph g = TestModels.miniLm();
        CudaModule m = CudaModule.emit(
                g,
                DeviceLayout.of(g, g.plan(), fsc.backend.java.JavaBackend.weightOffsets(g)),
                CudaLanguage.CUDA,
                "test");
        Set<String> ops = new HashSet<>();
        m.kernels().forEach(k -> ops.add(k.op()));
        assertTrue(
                ops.containsAll(Set.of("matmul", "gemm", "attention", "layer_norm", "gather", "fused")), ops::toString);
        // The CUDA matmul has no bias/activation epilogue (CudaBackend.fusionRules), so each FFN's bias
        // add and gelu run as one fused element-wise kernel rather than as two launches.
        assertTrue(
                g.nodes().stream().filter(n -> n.isFused()).anyMatch(n -> n.body().nodes().stream()
                        .anyMatch(b -> b.op().equals("gelu"))),
                "no fused kernel holds a gelu");
        assertTrue(g.nodes().stream().noneMatch(n -> n.op().equals("gelu")), "a gelu was left unfused");
        String ptx = TestModels.nvccOrSkip().ptx(m.source(), "minilm.cu", "sm_90");
        for (Kernel k : m.kernels()) {
            assertTrue(ptx.contains(".entry " + k.name() + "("), () -> "no PTX entry for " + k.name());
        }
        assertEquals(
                m.kernels().size(),
                m.kernels().stream().map(Kernel::name).distinct().count());
    }
}
