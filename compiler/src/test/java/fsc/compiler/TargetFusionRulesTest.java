package fsc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.backend.cuda.CudaKernelSupport;
import fsc.backend.java.JavaBackend;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.text.IrParser;
import fsc.passes.FusePass;
import fsc.passes.Pass;
import fsc.passes.PassContext;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fuse pass follows the rules of the backend it compiles for: the Java backend folds a matmul's
 * bias add and relu into its GEMM epilogue, so they stay separate nodes there; the CUDA matmul has no
 * such epilogue, so for CUDA they become one fused element-wise kernel, which both the CUDA backend
 * and the Java code the CUDA jar carries can emit.
 */
class TargetFusionRulesTest {

    private static final String MLP =
            """
            graph @mlp(%x: f32[2,4]) -> (%y: f32[2,3]) {
              %w: f32[4,3] = const @"w" [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]
              %b: f32[3] = const @"b" [0.5, -0.25, 0.125]
              %m: f32[2,3] = matmul(%x, %w)
              %a: f32[2,3] = add(%m, %b)
              %y: f32[2,3] = relu(%a)
              return %y
            }
            """;

    private static Graph fuse(Target t) {
        Pass fuse = CompileDriver.defaultPipeline(t).stream()
                .filter(p -> p instanceof FusePass)
                .findFirst()
                .orElseThrow();
        return fuse.run(IrParser.parse(MLP, "mlp.fsir"), PassContext.defaults());
    }

    private static List<String> ops(Graph g) {
        return g.nodes().stream().map(n -> n.isFused() ? "fused" : n.op()).toList();
    }

    @Test
    void javaLeavesTheBiasAndReluToTheGemmEpilogue() {
        assertEquals(List.of("matmul", "add", "relu"), ops(fuse(Target.JAVA)));
    }

    @Test
    void cudaFusesTheBiasAndReluIntoOneKernelItCanEmit() {
        Graph g = fuse(Target.CUDA);
        assertEquals(List.of("matmul", "fused"), ops(g));
        Node fused = g.nodes().getLast();
        assertEquals(
                List.of("add", "relu"),
                fused.body().nodes().stream().map(Node::op).toList());
        CudaKernelSupport.check(g);
        for (Node n : g.nodes()) {
            assertTrue(JavaBackend.hasKernel(n), n.where() + ": the CUDA jar's Java code must run it too");
        }
    }

    @Test
    void aNamedFusePassGetsTheTargetsRules() {
        CompileSettings cuda = CompileSettings.builder(java.nio.file.Path.of("m.fsir"), java.nio.file.Path.of("m.jar"))
                .target(Target.CUDA)
                .passes(List.of("fuse"))
                .build();
        FusePass p = (FusePass) CompileDriver.pipeline(cuda).getFirst();
        assertFalse(p.rules().hasGemmEpilogue());
        assertEquals(CompileDriver.fusionRules(Target.CUDA), p.rules());
    }
}
