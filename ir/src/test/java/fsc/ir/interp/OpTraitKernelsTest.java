package fsc.ir.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.ops.OpDef;
import fsc.ir.ops.OpTrait;
import fsc.ir.ops.Ops;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The element-wise traits on the op table agree with the ops' arity and with the interpreter. */
class OpTraitKernelsTest {

    @Test
    void everyElementwiseOpHasAnInterpreterKernel() {
        List<String> elementwise = Ops.withTrait(OpTrait.ELEMENTWISE);
        assertTrue(elementwise.containsAll(List.of("add", "relu", "gelu", "silu", "clip", "where", "cast", "tanh")));
        for (String op : elementwise) {
            assertTrue(Kernels.supported().contains(op), op + " is element-wise but the interpreter has no kernel");
        }
    }

    @Test
    void binaryAndMapTraitsMatchTheArityAndImplyElementwise() {
        for (OpDef d : Ops.all()) {
            if (d.traits().contains(OpTrait.BINARY)) {
                assertEquals(2, d.minInputs(), d.name());
                assertEquals(2, d.maxInputs(), d.name());
            }
            if (d.traits().contains(OpTrait.UNARY_MAP)) {
                assertEquals(1, d.minInputs(), d.name());
                assertEquals(1, d.maxInputs(), d.name());
            }
            if (d.traits().contains(OpTrait.BINARY) || d.traits().contains(OpTrait.UNARY_MAP)) {
                assertTrue(d.traits().contains(OpTrait.ELEMENTWISE), d.name());
                assertFalse(d.traits().contains(OpTrait.BINARY) && d.traits().contains(OpTrait.UNARY_MAP), d.name());
            }
        }
    }

    @Test
    void opsThatLookAtNeighboursAreNotElementwise() {
        for (String op : List.of("matmul", "softmax", "conv", "reduce_sum", "transpose", "gather", "layer_norm")) {
            assertFalse(Ops.hasTrait(op, OpTrait.ELEMENTWISE), op);
        }
        assertFalse(Ops.hasTrait("no_such_op", OpTrait.ELEMENTWISE));
    }
}
