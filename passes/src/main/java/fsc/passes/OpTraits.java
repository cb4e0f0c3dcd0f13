package fsc.passes;

import java.util.Set;

/**
 * Facts about ops that passes need beyond their shape rules. Kept next to the passes that rely on
 * them rather than in {@code fsc.ir.ops}, because they are pass policy, not op semantics.
 */
final class OpTraits {
    private OpTraits() {}

    /**
     * Ops whose result is not a function of their operands: two of them with equal inputs must not be
     * merged, and none may be evaluated at compile time.
     */
    private static final Set<String> NONDETERMINISTIC =
            Set.of("bernoulli", "dropout", "multinomial", "random_normal", "random_uniform");

    static boolean isDeterministic(String op) {
        return !NONDETERMINISTIC.contains(op);
    }
}
