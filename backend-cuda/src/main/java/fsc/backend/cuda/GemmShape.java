package fsc.backend.cuda;

import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * A matmul or gemm node seen as {@code batch} independent {@code M×K · K×N} products with element
 * strides, so one kernel template serves both ops, transposed operands and broadcast batches.
 * Offsets are C expressions in the batch index {@code z}.
 *
 * @param m rows of the result
 * @param n columns
 * @param k the reduced length
 * @param batch how many products (1 when a's leading dims fold into {@code m})
 * @param aRow a's stride along m, aCol along k; b's along k (bRow) and n (bCol)
 * @param aBatch C expression: element offset of a's z-th matrix (same for b and the output)
 */
record GemmShape(
        Dim m,
        Dim n,
        Dim k,
        Dim batch,
        String aRow,
        String aCol,
        String bRow,
        String bCol,
        String aBatch,
        String bBatch,
        String outBatch) {

    static GemmShape of(Node node) {
        return node.op().equals("gemm") ? gemm(node) : matmul(node);
    }

    /** Whether the emitter handles this node: operands of rank 2 or more (1-D promotion is not done here). */
    static boolean supported(Node node) {
        if (node.op().equals("gemm")) {
            return node.input(0).type().rank() == 2 && node.input(1).type().rank() == 2;
        }
        return node.input(0).type().rank() >= 2 && node.input(1).type().rank() >= 2;
    }

    private static GemmShape gemm(Node g) {
        TensorType a = g.input(0).type();
        TensorType b = g.input(1).type();
        boolean ta = g.intAttr("trans_a") != 0;
        boolean tb = g.intAttr("trans_b") != 0;
        Dim m = ta ? a.dim(1) : a.dim(0);
        Dim k = ta ? a.dim(0) : a.dim(1);
        Dim n = tb ? b.dim(0) : b.dim(1);
        String lda = CExpr.dim(a.dim(1));
        String ldb = CExpr.dim(b.dim(1));
        return new GemmShape(
                m,
                n,
                k,
                Dim.of(1),
                ta ? "1LL" : lda,
                ta ? lda : "1LL",
                tb ? "1LL" : ldb,
                tb ? ldb : "1LL",
                "0",
                "0",
                "0");
    }

    private static GemmShape matmul(Node mm) {
        TensorType a = mm.input(0).type();
        TensorType b = mm.input(1).type();
        TensorType out = mm.output().type();
        Dim k = a.dim(a.rank() - 1);
        Dim n = b.dim(b.rank() - 1);
        String lda = CExpr.dim(k);
        String ldb = CExpr.dim(n);
        if (b.rank() == 2) {
            // Every leading dim of a folds into M: one GEMM, no batch loop (the MiniLM projections).
            Dim m = CExpr.product(a, 0, a.rank() - 1);
            return new GemmShape(m, n, k, Dim.of(1), lda, "1LL", ldb, "1LL", "0", "0", "0");
        }
        int batchRank = out.rank() - 2;
        Dim batch = CExpr.product(out, 0, batchRank);
        Dim m = a.dim(a.rank() - 2);
        String outMat = CExpr.dim(m.times(n));
        return new GemmShape(
                m,
                n,
                k,
                batch,
                lda,
                "1LL",
                ldb,
                "1LL",
                batchOffset(a, out, batchRank),
                batchOffset(b, out, batchRank),
                "z*" + outMat);
    }

    /**
     * Element offset of operand {@code t}'s matrix for output batch index {@code z}: split z into the
     * output's batch coordinates, drop those t broadcasts (size 1 or missing), weight by t's strides.
     */
    private static String batchOffset(TensorType t, TensorType out, int batchRank) {
        List<Dim> st = CExpr.strides(t);
        List<String> terms = new ArrayList<>();
        int shift = batchRank - (t.rank() - 2);
        String div = "1LL";
        for (int i = batchRank - 1; i >= 0; i--) {
            String size = CExpr.dim(out.dim(i));
            int ti = i - shift;
            if (ti >= 0 && !(t.dim(ti).isFixed() && t.dim(ti).value() == 1)) {
                terms.add("((z / " + div + ") % " + size + ")*" + CExpr.dim(st.get(ti)));
            }
            div = div + "*" + size;
        }
        return terms.isEmpty() ? "0" : String.join(" + ", terms);
    }
}
