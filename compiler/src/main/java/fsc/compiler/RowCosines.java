package fsc.compiler;

import fsc.ir.interp.HostTensor;

/**
 * The end-to-end error of outputs against reference outputs, accumulated output by output: each
 * output's rows (its last axis: one token's hidden vector, one image's class scores) compared by
 * cosine, lowest and mean over every row, and the relative L2 of all of them together. Shared by
 * the interpreter's measurement ({@link QuantMeasure#endToEnd}) and the compiled variants' ({@link
 * QuantSpeed}), so the two report the same quantity.
 */
final class RowCosines {
    private double min = 1;
    private double sum;
    private int count;
    private double diff;
    private double norm;

    /** Adds the rows of {@code got} against those of {@code want} (same shape). */
    void add(HostTensor got, HostTensor want) {
        int width = Math.toIntExact(got.shape()[got.rank() - 1]);
        int rows = got.size() / Math.max(width, 1);
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int j = 0; j < width; j++) {
                double x = got.getDouble((long) r * width + j);
                double y = want.getDouble((long) r * width + j);
                dot += x * y;
                na += x * x;
                nb += y * y;
                diff += (x - y) * (x - y);
            }
            norm += nb;
            double cos = na == 0 || nb == 0 ? (na == nb ? 1 : 0) : dot / Math.sqrt(na * nb);
            min = Math.min(min, cos);
            sum += cos;
            count++;
        }
    }

    QuantMeasure.EndToEnd result() {
        return new QuantMeasure.EndToEnd(min, count == 0 ? 1 : sum / count, norm == 0 ? 0 : Math.sqrt(diff / norm));
    }
}
