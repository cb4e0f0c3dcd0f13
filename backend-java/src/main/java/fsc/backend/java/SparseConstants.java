package fsc.backend.java;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.runtime.kernels.SparseColumnsMatmul;
import java.lang.foreign.MemorySegment;

/**
 * Which constant matmul operands are sparse enough for {@link SparseColumnsMatmul}: its own count,
 * run at compile time on the constant's bytes in the layout the weights hold it (row major or the
 * {@code layout} pass's panels), the same bytes the kernel reads at load.
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
        int most = SparseColumnsMatmul.mostPerColumn(
                MemorySegment.ofBuffer(d.view()), 0, k, n, panel, SparseColumnsMatmul.MAX_PER_COLUMN);
        return SparseColumnsMatmul.applies(k, most);
    }
}
