package fsc.backend.java;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.runtime.kernels.SparseColumnsMatmul;
import java.nio.ByteBuffer;

/**
 * Which constant matmul operands are sparse enough for {@link SparseColumnsMatmul}: read at compile
 * time from the constant's bytes, in the layout the weights hold it (row major or the {@code layout}
 * pass's panels), the same bytes the kernel reads at load.
 */
final class SparseConstants {
    private SparseConstants() {}

    /** Whether {@code b}, a 2-D f32 constant {@code [K, N]}, has few enough non-zeros in every column. */
    static boolean fewPerColumn(Graph g, Value b) {
        if (b.dtype() != DType.F32 || b.type().rank() != 2 || !b.type().isStatic()) {
            return false;
        }
        Constant c = g.constantOf(b);
        if (c == null || !g.weights().contains(c.weight())) {
            return false;
        }
        WeightData d = g.weights().get(c.weight());
        int k = Math.toIntExact(b.type().dims().get(0).value());
        int n = Math.toIntExact(b.type().dims().get(1).value());
        int panel = fsc.ir.PanelLayout.width(b.type().layout()).orElse(0);
        ByteBuffer bytes = d.view();
        int most = 0;
        for (int j = 0; j < n && most <= SparseColumnsMatmul.MAX_PER_COLUMN; j++) {
            int count = 0;
            for (int kk = 0; kk < k; kk++) {
                if (bytes.getFloat(Math.toIntExact(4 * SparseColumnsMatmul.index(kk, j, k, n, panel))) != 0f) {
                    count++;
                }
            }
            most = Math.max(most, count);
        }
        return SparseColumnsMatmul.applies(k, most);
    }
}
