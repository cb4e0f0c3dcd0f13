package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.ops.OpTrait;
import fsc.ir.ops.Ops;
import fsc.passes.FusionRules;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every op the op table marks element-wise has a Java emitter row, or is named here as handled
 * without one; the fused-loop ops the backend offers the fuse pass are element-wise ops.
 */
class ElementwiseFormsTest {

    /** Element-wise ops with no row of their own: {@code identity} is a view, planned as an alias. */
    private static final Set<String> WITHOUT_ROW = Set.of("identity");

    @Test
    void everyElementwiseOpHasAJavaKernel() {
        Set<String> rows = JavaKernelSupport.TABLE.stream()
                .map(JavaKernelSupport.Kernel::op)
                .collect(Collectors.toSet());
        Set<String> missing = new TreeSet<>();
        for (String op : Ops.withTrait(OpTrait.ELEMENTWISE)) {
            if (!rows.contains(op) && !WITHOUT_ROW.contains(op)) {
                missing.add(op);
            }
        }
        assertEquals(Set.of(), missing, "element-wise ops without a Java emitter row");
    }

    @Test
    void fusedLoopOpsAreElementwiseAndMatchTheDefaultRules() {
        FusionRules rules = JavaBackend.fusionRules();
        for (String op : rules.chainOps()) {
            assertTrue(Ops.hasTrait(op, OpTrait.ELEMENTWISE), op);
        }
        // A pipeline not told its backend fuses as for this one, the default target.
        assertEquals(FusionRules.DEFAULT, rules);
    }
}
