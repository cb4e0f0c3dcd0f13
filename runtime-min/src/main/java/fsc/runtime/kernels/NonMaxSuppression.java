package fsc.runtime.kernels;

import fsc.runtime.ElemType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ONNX NonMaxSuppression (boxes {@code [B, N, 4]}, scores {@code [B, C, N]}, f32 or f64): per batch
 * and class, the candidates scoring above {@code scoreThreshold} (when given) in descending score
 * order, lower box index first on ties (as ONNX Runtime's queue orders them); each kept box suppresses
 * later ones whose IoU with it exceeds {@code iouThreshold}; at most {@code maxPerClass} are kept.
 * Boxes are corners in either order ({@code [y1, x1, y2, x2]}) or, with {@code centerPointBox},
 * {@code [x_center, y_center, width, height]}; a box of zero area overlaps nothing. Scratch is
 * allocated once for the largest box count.
 */
public final class NonMaxSuppression {
    private final int[] candidates;
    private final int[] tmp;
    private final int[] kept;
    /** Per box of the current batch: ymin, xmin, ymax, xmax. */
    private final double[] corners;

    private final IndexSort.Order byScore = this::compareScores;
    private MemorySegment scores;
    private ElemType type;
    private long base;

    /** @param maxBoxes the most boxes per image a call will have */
    public NonMaxSuppression(long maxBoxes) {
        int m = Math.toIntExact(Math.max(1, maxBoxes));
        candidates = new int[m];
        tmp = new int[m];
        kept = new int[m];
        corners = new double[4 * m];
    }

    /** @return the number of rows written to {@code out} ({@code i64[rows, 3]}: batch, class, box) */
    public long run(
            MemorySegment boxes,
            MemorySegment scores,
            ElemType type,
            int batches,
            int classes,
            int n,
            long maxPerClass,
            double iouThreshold,
            boolean hasScoreThreshold,
            double scoreThreshold,
            boolean centerPointBox,
            MemorySegment out) {
        if (n > candidates.length) {
            throw new IllegalStateException("non_max_suppression: " + n + " boxes exceed the compiled bound");
        }
        this.scores = scores;
        this.type = type;
        long rows = 0;
        for (int b = 0; b < batches; b++) {
            for (int i = 0; i < n; i++) {
                long at = ((long) b * n + i) * 4;
                double p = Elements.get(boxes, type, at);
                double q = Elements.get(boxes, type, at + 1);
                double r = Elements.get(boxes, type, at + 2);
                double s = Elements.get(boxes, type, at + 3);
                if (centerPointBox) {
                    corners[4 * i] = q - s / 2;
                    corners[4 * i + 1] = p - r / 2;
                    corners[4 * i + 2] = q + s / 2;
                    corners[4 * i + 3] = p + r / 2;
                } else {
                    corners[4 * i] = Math.min(p, r);
                    corners[4 * i + 1] = Math.min(q, s);
                    corners[4 * i + 2] = Math.max(p, r);
                    corners[4 * i + 3] = Math.max(q, s);
                }
            }
            for (int c = 0; c < classes; c++) {
                base = ((long) b * classes + c) * n;
                int m = 0;
                for (int i = 0; i < n; i++) {
                    if (!hasScoreThreshold || Elements.get(scores, type, base + i) > scoreThreshold) {
                        candidates[m++] = i;
                    }
                }
                IndexSort.sort(candidates, m, tmp, byScore);
                int k = 0;
                for (int t = 0; t < m && k < maxPerClass; t++) {
                    int i = candidates[t];
                    boolean keep = true;
                    for (int j = 0; j < k && keep; j++) {
                        keep = iou(i, kept[j]) <= iouThreshold;
                    }
                    if (keep) {
                        kept[k++] = i;
                        out.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, rows * 3, b);
                        out.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, rows * 3 + 1, c);
                        out.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, rows * 3 + 2, i);
                        rows++;
                    }
                }
            }
        }
        this.scores = null;
        return rows;
    }

    private int compareScores(int a, int b) {
        return Double.compare(Elements.get(scores, type, base + b), Elements.get(scores, type, base + a));
    }

    private double iou(int p, int q) {
        double areaP = (corners[4 * p + 2] - corners[4 * p]) * (corners[4 * p + 3] - corners[4 * p + 1]);
        double areaQ = (corners[4 * q + 2] - corners[4 * q]) * (corners[4 * q + 3] - corners[4 * q + 1]);
        if (areaP <= 0 || areaQ <= 0) {
            return 0;
        }
        double h = Math.max(
                0, Math.min(corners[4 * p + 2], corners[4 * q + 2]) - Math.max(corners[4 * p], corners[4 * q]));
        double w = Math.max(
                0, Math.min(corners[4 * p + 3], corners[4 * q + 3]) - Math.max(corners[4 * p + 1], corners[4 * q + 1]));
        double inter = h * w;
        return inter / (areaP + areaQ - inter);
    }
}
