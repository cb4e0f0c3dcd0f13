package fsc.ir.interp;

import fsc.ir.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reference nonzero, unique and non_max_suppression, with ONNX semantics. Their data-dependent
 * dimension is whatever the data gives; {@link Interpreter} binds the node's extent symbol from the
 * result's shape.
 */
final class ExtentKernels {
    private ExtentKernels() {}

    /** Indices of the non-zero elements, row-major order, as {@code [rank, n]}. */
    static HostTensor nonzero(Call c) {
        HostTensor x = c.in(0);
        long[] shape = x.shape();
        int rank = shape.length;
        List<Long> hits = new ArrayList<>();
        for (long i = 0; i < x.size(); i++) {
            if (x.getDouble(i) != 0) {
                hits.add(i);
            }
        }
        int n = hits.size();
        HostTensor out = HostTensor.zeros(DType.I64, new long[] {rank, n});
        for (int j = 0; j < n; j++) {
            long rest = hits.get(j);
            for (int r = rank - 1; r >= 0; r--) {
                out.setLong((long) r * n + j, rest % shape[r]);
                rest /= shape[r];
            }
        }
        return out;
    }

    /**
     * ONNX Unique: slices along {@code axis} (single elements when absent) compared by value; sorted
     * ascending (lexicographically for slices) or in order of first occurrence.
     */
    static List<HostTensor> unique(Call c) {
        HostTensor x = c.in(0);
        long[] shape = x.shape();
        boolean hasAxis = c.node().attrs().containsKey("axis");
        int axis = hasAxis ? Call.axis(c.node().intAttr("axis"), shape.length) : 0;
        long outer = 1;
        long len;
        long inner = 1;
        if (hasAxis) {
            for (int d = 0; d < axis; d++) {
                outer *= shape[d];
            }
            len = shape[axis];
            for (int d = axis + 1; d < shape.length; d++) {
                inner *= shape[d];
            }
        } else {
            len = x.size();
        }
        double[][] slices = new double[(int) len][];
        for (int k = 0; k < len; k++) {
            double[] s = new double[(int) (outer * inner)];
            for (long o = 0; o < outer; o++) {
                for (long i = 0; i < inner; i++) {
                    s[(int) (o * inner + i)] = x.getDouble((o * len + k) * inner + i);
                }
            }
            slices[k] = s;
        }
        Map<List<Double>, Integer> firstOf = new HashMap<>();
        List<Integer> firsts = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        int[] group = new int[(int) len];
        for (int k = 0; k < len; k++) {
            List<Double> key = Arrays.stream(slices[k]).boxed().toList();
            Integer g = firstOf.get(key);
            if (g == null) {
                g = firsts.size();
                firstOf.put(key, g);
                firsts.add(k);
                counts.add(0L);
            }
            counts.set(g, counts.get(g) + 1);
            group[k] = g;
        }
        int u = firsts.size();
        Integer[] order = new Integer[u];
        for (int g = 0; g < u; g++) {
            order[g] = g;
        }
        if (c.node().intAttr("sorted") != 0) {
            Comparator<Integer> lex = (a, b) -> Arrays.compare(slices[firsts.get(a)], slices[firsts.get(b)]);
            Arrays.sort(order, lex);
        }
        int[] rankOf = new int[u];
        for (int r = 0; r < u; r++) {
            rankOf[order[r]] = r;
        }
        long[] yShape = shape.clone();
        if (hasAxis) {
            yShape[axis] = u;
        } else {
            yShape = new long[] {u};
        }
        HostTensor y = HostTensor.zeros(x.dtype(), yShape);
        HostTensor indices = HostTensor.zeros(DType.I64, new long[] {u});
        HostTensor inverse = HostTensor.zeros(DType.I64, new long[] {len});
        HostTensor count = HostTensor.zeros(DType.I64, new long[] {u});
        for (int r = 0; r < u; r++) {
            int g = order[r];
            double[] s = slices[firsts.get(g)];
            for (long o = 0; o < outer; o++) {
                for (long i = 0; i < inner; i++) {
                    y.setDouble((o * u + r) * inner + i, s[(int) (o * inner + i)]);
                }
            }
            indices.setLong(r, firsts.get(g));
            count.setLong(r, counts.get(g));
        }
        for (int k = 0; k < len; k++) {
            inverse.setLong(k, rankOf[group[k]]);
        }
        return List.of(y, indices, inverse, count);
    }

    /**
     * ONNX NonMaxSuppression: per batch and class, candidates scoring above {@code score_threshold}
     * (when given) in descending score order (lower box index first on ties); each one kept suppresses
     * later ones whose IoU with it exceeds {@code iou_threshold}; at most {@code max_output_boxes_per_class}
     * kept (none when absent or 0). Rows {@code [batch, class, box]}, batch-major then class.
     */
    static HostTensor nonMaxSuppression(Call c) {
        HostTensor boxes = c.in(0);
        HostTensor scores = c.in(1);
        long maxPerClass = c.in().size() > 2 && c.in(2).size() > 0 ? c.in(2).getLong(0) : 0;
        double iou = c.in().size() > 3 && c.in(3).size() > 0 ? c.in(3).getDouble(0) : 0;
        boolean hasScore = c.in().size() > 4 && c.in(4).size() > 0;
        double minScore = hasScore ? c.in(4).getDouble(0) : 0;
        boolean center = c.node().intAttr("center_point_box") != 0;
        int batches = (int) scores.shape()[0];
        int classes = (int) scores.shape()[1];
        int n = (int) scores.shape()[2];
        List<long[]> rows = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            double[][] corners = new double[n][];
            for (int i = 0; i < n; i++) {
                corners[i] = corners(boxes, ((long) b * n + i) * 4, center);
            }
            for (int k = 0; k < classes; k++) {
                long base = ((long) b * classes + k) * n;
                List<Integer> cand = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (!hasScore || scores.getDouble(base + i) > minScore) {
                        cand.add(i);
                    }
                }
                cand.sort((p, q) -> {
                    int byScore = Double.compare(scores.getDouble(base + q), scores.getDouble(base + p));
                    return byScore != 0 ? byScore : Integer.compare(p, q);
                });
                List<Integer> kept = new ArrayList<>();
                for (int i : cand) {
                    if (kept.size() >= maxPerClass) {
                        break;
                    }
                    boolean keep = true;
                    for (int j : kept) {
                        if (iou(corners[i], corners[j]) > iou) {
                            keep = false;
                            break;
                        }
                    }
                    if (keep) {
                        kept.add(i);
                        rows.add(new long[] {b, k, i});
                    }
                }
            }
        }
        HostTensor out = HostTensor.zeros(DType.I64, new long[] {rows.size(), 3});
        for (int r = 0; r < rows.size(); r++) {
            for (int j = 0; j < 3; j++) {
                out.setLong(r * 3L + j, rows.get(r)[j]);
            }
        }
        return out;
    }

    /** {@code [ymin, xmin, ymax, xmax]} of a box given as corners in either order, or as center and size. */
    private static double[] corners(HostTensor boxes, long at, boolean center) {
        double a = boxes.getDouble(at);
        double b = boxes.getDouble(at + 1);
        double c = boxes.getDouble(at + 2);
        double d = boxes.getDouble(at + 3);
        if (center) {
            // [x_center, y_center, width, height]
            return new double[] {b - d / 2, a - c / 2, b + d / 2, a + c / 2};
        }
        return new double[] {Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)};
    }

    private static double iou(double[] p, double[] q) {
        double areaP = (p[2] - p[0]) * (p[3] - p[1]);
        double areaQ = (q[2] - q[0]) * (q[3] - q[1]);
        if (areaP <= 0 || areaQ <= 0) {
            return 0;
        }
        double h = Math.max(0, Math.min(p[2], q[2]) - Math.max(p[0], q[0]));
        double w = Math.max(0, Math.min(p[3], q[3]) - Math.max(p[1], q[1]));
        double inter = h * w;
        return inter / (areaP + areaQ - inter);
    }
}
