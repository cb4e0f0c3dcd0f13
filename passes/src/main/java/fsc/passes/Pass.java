package fsc.passes;

import fsc.ir.Graph;

/**
 * One graph transformation with one responsibility. A pass is stateless: it reads its options from
 * the {@link PassContext} and returns a new graph (graphs are immutable), or the same graph when it
 * changed nothing. Every implementation carries {@link PassInfo} and is listed in {@link PassRegistry}.
 */
public interface Pass {
    Graph run(Graph g, PassContext ctx);

    /** The {@link PassInfo} of this pass's class. */
    default PassInfo info() {
        PassInfo info = getClass().getAnnotation(PassInfo.class);
        if (info == null) {
            throw new IllegalStateException(getClass().getName() + " implements Pass but has no @PassInfo");
        }
        return info;
    }

    /**
     * Whether the pass also runs inside control-flow regions, each lifted into a graph of its own
     * ({@link RegionPasses}). True for rewrites that are local to a graph; false for passes that
     * place or pack for the whole model (memory planning, weight layout).
     */
    default boolean recursesIntoRegions() {
        return true;
    }

    /** The command-line name, e.g. {@code fold}. */
    default String name() {
        return info().name();
    }
}
