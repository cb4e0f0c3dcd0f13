package fsc.ir.interp;

import fsc.ir.DType;

/**
 * Reference {@code tree_ensemble} (ONNX-ML TreeEnsemble-5 on the flattened tables of
 * {@code fsc.ir.ops.TreeOps}): every row walks every tree, comparing in double, and the leaf weights
 * are gathered per target first and then aggregated, in double, rounded to the output type once.
 */
final class TreeEnsembleKernel {
    private TreeEnsembleKernel() {}

    static HostTensor treeEnsemble(Call c) {
        HostTensor x = c.in(0);
        HostTensor nodes = c.in(1);
        HostTensor splits = c.in(2);
        HostTensor members = c.in(3);
        HostTensor leafTargets = c.in(4);
        HostTensor leafWeights = c.in(5);
        HostTensor roots = c.in(6);
        int rows = (int) x.shape()[0];
        int features = (int) x.shape()[1];
        int targets = (int) c.node().intAttr("n_targets");
        String agg = c.node().strAttr("aggregate_function");
        int trees = roots.size();
        HostTensor out = c.newOutput();
        for (int r = 0; r < rows; r++) {
            double[] sum = new double[targets];
            double[] best = new double[targets];
            boolean[] seen = new boolean[targets];
            for (int t = 0; t < trees; t++) {
                long node = roots.getLong(t);
                while (node >= 0) {
                    long f = nodes.getLong(node * 7);
                    double v = x.getDouble((long) r * features + f);
                    boolean missingTrue = nodes.getLong(node * 7 + 4) != 0;
                    boolean go =
                            Double.isNaN(v) && missingTrue || branch(nodes, node, v, splits.getDouble(node), members);
                    node = nodes.getLong(node * 7 + (go ? 2 : 3));
                }
                long leaf = -node - 1;
                int target = (int) leafTargets.getLong(leaf);
                double w = leafWeights.getDouble(leaf);
                sum[target] += w;
                best[target] =
                        !seen[target] ? w : agg.equals("min") ? Math.min(best[target], w) : Math.max(best[target], w);
                seen[target] = true;
            }
            for (int t = 0; t < targets; t++) {
                double v =
                        switch (agg) {
                            case "sum" -> sum[t];
                            case "average" -> sum[t] / trees;
                            default -> seen[t] ? best[t] : emptyExtreme(agg, x.dtype());
                        };
                out.setDouble((long) r * targets + t, v);
            }
        }
        return out;
    }

    private static boolean branch(HostTensor nodes, long node, double v, double split, HostTensor members) {
        int mode = (int) nodes.getLong(node * 7 + 1);
        if (mode == 6) {
            long first = nodes.getLong(node * 7 + 5);
            long count = nodes.getLong(node * 7 + 6);
            for (long i = first; i < first + count; i++) {
                if (members.getDouble(i) == v) {
                    return true;
                }
            }
            return false;
        }
        return switch (mode) {
            case 0 -> v <= split;
            case 1 -> v < split;
            case 2 -> v >= split;
            case 3 -> v > split;
            case 4 -> v == split;
            case 5 -> v != split;
            default -> throw new IllegalStateException("tree_ensemble: node mode " + mode);
        };
    }

    /** A target no leaf reached keeps the starting extreme, as ONNX's reference initialises it. */
    private static double emptyExtreme(String agg, DType t) {
        double m = t == DType.F64 ? Double.MAX_VALUE : Float.MAX_VALUE;
        return agg.equals("min") ? m : -m;
    }
}
