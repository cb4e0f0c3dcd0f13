package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.ops.OpTrait;
import fsc.ir.ops.Ops;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The passes' narrower op lists (what may run in place, which bf16 chains widen, what the fuse pass
 * may group) are subsets of the ops that declare {@link OpTrait#ELEMENTWISE}: a list naming a
 * non-element-wise op (or an op that lost the trait) fails here.
 */
class OpTraitListsTest {

    private static void assertElementwise(String list, Set<String> ops) {
        for (String op : ops) {
            assertTrue(Ops.hasTrait(op, OpTrait.ELEMENTWISE), list + " names '" + op + "', not element-wise");
        }
    }

    @Test
    void passListsAreElementwiseOps() {
        assertElementwise("BufferLiveness.IN_PLACE_OPS", BufferLiveness.IN_PLACE_OPS);
        assertElementwise("WidenHalvesPass.BF16_CHAIN", WidenHalvesPass.BF16_CHAIN);
        assertElementwise("FusionRules.DEFAULT", FusionRules.DEFAULT.chainOps());
    }

    @Test
    void fusionRulesRefuseAnOpThatIsNotElementwise() {
        assertThrows(IllegalArgumentException.class, () -> new FusionRules(Set.of("add", "softmax"), false, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new FusionRules(Set.of("add"), true, Set.of("add")));
    }
}
