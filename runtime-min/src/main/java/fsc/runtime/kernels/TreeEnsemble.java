package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ONNX-ML TreeEnsemble-5 over tables the compiler flattened from the trees (IR {@code tree_ensemble},
 * see {@code fsc.ir.ops.TreeOps}): each row of x walks every tree from its root to a leaf, and the leaf's
 * weight is aggregated into its target column. A walk is data-dependent pointer chasing, so this is a
 * scalar loop by nature (as in ONNX Runtime's tree_ensemble_aggregator); the tables are read in place
 * from the model's weights and nothing is allocated.
 */
public final class TreeEnsemble {
    private TreeEnsemble() {}

    public static final int SUM = 0;
    public static final int AVERAGE = 1;
    public static final int MIN = 2;
    public static final int MAX = 3;

    /** Columns of a {@code nodes} row. */
    private static final int FEATURE = 0;

    private static final int MODE = 1;
    private static final int TRUE = 2;
    private static final int FALSE = 3;
    private static final int MISSING_TRUE = 4;
    private static final int MEMBER_FIRST = 5;
    private static final int MEMBER_COUNT = 6;
    private static final int WIDTH = 7;

    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * @param x {@code [rows, features]}, f64 when {@code wide} else f32; y is {@code [rows, targets]} of
     *     the same type, and sums run in that type as ONNX's reference does
     */
    public static void evaluate(
            MemorySegment x,
            MemorySegment y,
            boolean wide,
            int rows,
            int features,
            int targets,
            MemorySegment nodes,
            MemorySegment splits,
            MemorySegment members,
            MemorySegment leafTargets,
            MemorySegment leafWeights,
            MemorySegment roots,
            int trees,
            int aggregate) {
        double init = aggregate == MIN
                ? (wide ? Double.MAX_VALUE : Float.MAX_VALUE)
                : aggregate == MAX ? (wide ? -Double.MAX_VALUE : -Float.MAX_VALUE) : 0;
        for (int r = 0; r < rows; r++) {
            long row = (long) r * features;
            long out = (long) r * targets;
            for (int t = 0; t < targets; t++) {
                store(y, wide, out + t, init);
            }
            for (int tree = 0; tree < trees; tree++) {
                long c = roots.getAtIndex(I64, tree);
                while (c >= 0) {
                    long base = c * WIDTH;
                    double v = load(x, wide, row + nodes.getAtIndex(I64, base + FEATURE));
                    boolean go = Double.isNaN(v) && nodes.getAtIndex(I64, base + MISSING_TRUE) != 0
                            || test(
                                    (int) nodes.getAtIndex(I64, base + MODE),
                                    v,
                                    splits.getAtIndex(F64, c),
                                    members,
                                    nodes.getAtIndex(I64, base + MEMBER_FIRST),
                                    nodes.getAtIndex(I64, base + MEMBER_COUNT));
                    c = nodes.getAtIndex(I64, base + (go ? TRUE : FALSE));
                }
                long leaf = -c - 1;
                long at = out + leafTargets.getAtIndex(I64, leaf);
                double w = leafWeights.getAtIndex(F64, leaf);
                double acc = load(y, wide, at);
                double next =
                        switch (aggregate) {
                            case SUM -> wide ? acc + w : (float) acc + (float) w;
                            case AVERAGE -> wide ? acc + w / trees : (float) acc + (float) w / trees;
                            case MIN -> Math.min(acc, w);
                            default -> Math.max(acc, w);
                        };
                store(y, wide, at, next);
            }
        }
    }

    private static boolean test(int mode, double v, double split, MemorySegment members, long first, long count) {
        return switch (mode) {
            case 0 -> v <= split;
            case 1 -> v < split;
            case 2 -> v >= split;
            case 3 -> v > split;
            case 4 -> v == split;
            case 5 -> v != split;
            default -> {
                for (long i = first; i < first + count; i++) {
                    if (members.getAtIndex(F64, i) == v) {
                        yield true;
                    }
                }
                yield false;
            }
        };
    }

    private static double load(MemorySegment s, boolean wide, long i) {
        return wide ? s.getAtIndex(F64, i) : s.getAtIndex(F32, i);
    }

    private static void store(MemorySegment s, boolean wide, long i, double v) {
        if (wide) {
            s.setAtIndex(F64, i, v);
        } else {
            s.setAtIndex(F32, i, (float) v);
        }
    }
}
