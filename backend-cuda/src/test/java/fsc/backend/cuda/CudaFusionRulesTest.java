package fsc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.backend.java.JavaBackend;
import fsc.ir.ops.OpTrait;
import fsc.ir.ops.Ops;
import fsc.passes.FusionRules;
import org.junit.jupiter.api.Test;

/** The CUDA backend offers the fuse pass only what it and the Java code in its jar can emit. */
class CudaFusionRulesTest {

    @Test
    void chainOpsHaveACudaScalarFormAndAJavaLoopBody() {
        FusionRules rules = CudaBackend.fusionRules();
        assertFalse(rules.chainOps().isEmpty());
        for (String op : rules.chainOps()) {
            assertTrue(ScalarOps.isElementwise(op), op + " has no CUDA scalar form");
            assertTrue(JavaBackend.fusedLoopOps().contains(op), op + " has no Java fused-loop form");
        }
        assertFalse(rules.hasGemmEpilogue(), "the CUDA matmul has no bias/activation epilogue");
    }

    @Test
    void scalarOpsAreElementwiseOps() {
        for (String op : ScalarOps.UNARY) {
            assertTrue(Ops.hasTrait(op, OpTrait.ELEMENTWISE), op);
        }
        for (String op : ScalarOps.BINARY) {
            assertTrue(Ops.hasTrait(op, OpTrait.BINARY), op);
        }
    }
}
