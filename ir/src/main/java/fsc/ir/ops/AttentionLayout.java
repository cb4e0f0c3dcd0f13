package fsc.ir.ops;

import fsc.ir.TensorType;
import java.util.List;

/**
 * The {@code layout} attribute of {@code attention}: a bit per operand stored sequence-major, {@code
 * [B,S,H,D]}, rather than head-major, {@code [B,H,S,D]}. The same bits as the runtime kernel's
 * ({@code fsc.runtime.kernels.Attention.Q_SEQ_MAJOR} and the others).
 */
public final class AttentionLayout {
    /** Bits of {@code layout}. */
    public static final long Q_SEQ_MAJOR = 1, K_SEQ_MAJOR = 2, V_SEQ_MAJOR = 4, OUT_SEQ_MAJOR = 8;

    private AttentionLayout() {}

    /** {@code t} with its axes 1 and 2 swapped when {@code layout} has {@code bit} (either direction). */
    public static TensorType headMajor(TensorType t, long layout, long bit) {
        if ((layout & bit) == 0) {
            return t;
        }
        return t.withDims(List.of(t.dim(0), t.dim(2), t.dim(1), t.dim(3)));
    }
}
