package fsc.backend.cuda;

import fsc.ir.DType;
import fsc.ir.Node;
import fsc.ir.TensorType;
import java.util.List;

/**
 * GEMM kernels for {@code matmul} and {@code gemm}.
 *
 * <ul>
 *   <li>fp32: the classic shared-memory tiling (as in Volkov & Demmel, and every CUDA GEMM tutorial
 *       since): a 64×64 output tile per 256-thread block, 16-deep K slices staged in shared memory,
 *       a 4×4 register tile per thread.
 *   <li>f16/bf16 operands: tensor cores through WMMA (16×16×16 fragments, fp32 accumulation), a 32×32
 *       tile per 4-warp block; edges are zero-padded in shared memory so every fragment load is
 *       full.
 * </ul>
 *
 * Batches (attention-style matmuls with broadcast) run on grid.z; gemm's {@code alpha}, {@code beta}
 * and broadcast {@code c} are the epilogue.
 */
final class MatmulCuda {
    private MatmulCuda() {}

    static final int TILE = 64;
    static final int BK = 16;
    static final int WMMA_TILE = 32;

    static boolean tensorCores(Node n) {
        DType a = n.input(0).dtype();
        return (a == DType.F16 || a == DType.BF16) && n.input(1).dtype() == a;
    }

    static Kernel emit(KernelScope s) {
        return tensorCores(s.node()) ? wmma(s) : fp32(s);
    }

    static Launch launch(GemmShape g, int tile, int threads) {
        return new Launch(
                List.of(
                        new Launch.Extent(g.n(), tile, Integer.MAX_VALUE),
                        new Launch.Extent(g.m(), tile, Launch.MAX_YZ),
                        new Launch.Extent(g.batch(), 1, Launch.MAX_YZ)),
                List.of(threads, 1, 1),
                List.of());
    }

    private static String prologue(KernelScope s, GemmShape g) {
        CudaLanguage lang = s.lang();
        return "  const i64 M = " + CExpr.dim(g.m()) + ", N = " + CExpr.dim(g.n()) + ", K = " + CExpr.dim(g.k())
                + ", Z = " + CExpr.dim(g.batch()) + ";\n"
                + "  const i64 n0 = (i64)" + lang.blockIdx() + ".x * TILE_N;\n"
                + "  for (i64 z = " + lang.blockIdx() + ".z; z < Z; z += " + lang.gridDim() + ".z)\n"
                + "  for (i64 m0 = (i64)" + lang.blockIdx() + ".y * TILE_M; m0 < M; m0 += (i64)" + lang.gridDim()
                + ".y * TILE_M) {\n"
                + "  const " + lang.storage(s.inType(0).dtype()) + "* a = " + s.in(0) + " + (" + g.aBatch() + ");\n"
                + "  const " + lang.storage(s.inType(1).dtype()) + "* b = " + s.in(1) + " + (" + g.bBatch() + ");\n"
                + "  " + lang.storage(s.outType().dtype()) + "* c = " + s.out(0) + " + (" + g.outBatch() + ");\n";
    }

    /** The value stored at output (r, col) from accumulator {@code acc}: gemm scales and adds c. */
    private static String epilogue(KernelScope s, String acc) {
        Node n = s.node();
        CudaLanguage lang = s.lang();
        String v = acc;
        if (n.op().equals("gemm")) {
            double alpha = n.floatAttr("alpha");
            double beta = n.floatAttr("beta");
            v = "(" + ScalarOps.floatLit(alpha) + " * " + acc + ")";
            if (n.inputs().size() > 2 && beta != 0) {
                TensorType ct = s.inType(2);
                String idx = CExpr.broadcastIndex(ct, 2, "e");
                v = "(" + v + " + " + ScalarOps.floatLit(beta) + " * "
                        + lang.load(ct.dtype(), s.in(2) + "[" + idx + "]") + ")";
            }
        }
        return lang.store(s.outType().dtype(), v);
    }

    private static Kernel fp32(KernelScope s) {
        GemmShape g = GemmShape.of(s.node());
        CudaLanguage lang = s.lang();
        DType at = s.inType(0).dtype();
        DType bt = s.inType(1).dtype();
        String sh = lang.sharedKeyword();
        StringBuilder b = new StringBuilder();
        b.append("  enum { TILE_M = 64, TILE_N = 64, BK = 16 };\n");
        b.append("  ").append(sh).append(" float As[BK][TILE_M + 4];\n");
        b.append("  ").append(sh).append(" float Bs[BK][TILE_N];\n");
        b.append(prologue(s, g));
        b.append("  const int tx = ")
                .append(lang.threadIdx())
                .append(".x % 16, ty = ")
                .append(lang.threadIdx())
                .append(".x / 16;\n");
        b.append("  float acc[4][4] = {};\n");
        b.append("  for (i64 k0 = 0; k0 < K; k0 += BK) {\n");
        b.append("    for (int l = ").append(lang.threadIdx()).append(".x; l < BK * TILE_M; l += 256) {\n");
        b.append("      const int r = l / BK, kk = l % BK;\n");
        b.append("      const i64 gm = m0 + r, gk = k0 + kk;\n");
        b.append("      As[kk][r] = (gm < M && gk < K) ? ")
                .append(lang.load(at, "a[gm*" + g.aRow() + " + gk*" + g.aCol() + "]"))
                .append(" : 0.0f;\n");
        b.append("      const int kb = l / TILE_N, cn = l % TILE_N;\n");
        b.append("      const i64 gn = n0 + cn, gkb = k0 + kb;\n");
        b.append("      Bs[kb][cn] = (gn < N && gkb < K) ? ")
                .append(lang.load(bt, "b[gkb*" + g.bRow() + " + gn*" + g.bCol() + "]"))
                .append(" : 0.0f;\n");
        b.append("    }\n");
        b.append("    ").append(lang.barrier()).append(";\n");
        b.append("    #pragma unroll\n");
        b.append("    for (int kk = 0; kk < BK; kk++) {\n");
        b.append("      float ra[4], rb[4];\n");
        b.append("      #pragma unroll\n");
        b.append("      for (int q = 0; q < 4; q++) { ra[q] = As[kk][ty + 16*q]; rb[q] = Bs[kk][tx + 16*q]; }\n");
        b.append("      #pragma unroll\n");
        b.append("      for (int p = 0; p < 4; p++)\n");
        b.append("        #pragma unroll\n");
        b.append("        for (int q = 0; q < 4; q++) acc[p][q] = fmaf(ra[p], rb[q], acc[p][q]);\n");
        b.append("    }\n");
        b.append("    ").append(lang.barrier()).append(";\n");
        b.append("  }\n");
        b.append("  for (int p = 0; p < 4; p++)\n");
        b.append("    for (int q = 0; q < 4; q++) {\n");
        b.append("      const i64 e0 = m0 + ty + 16*p, e1 = n0 + tx + 16*q;\n");
        b.append("      if (e0 < M && e1 < N) c[e0*N + e1] = ")
                .append(epilogue(s, "acc[p][q]"))
                .append(";\n");
        b.append("    }\n");
        b.append("  ").append(lang.barrier()).append(";\n");
        b.append("  }\n");
        return s.kernel(b.toString(), launch(g, TILE, 256));
    }

    private static Kernel wmma(KernelScope s) {
        GemmShape g = GemmShape.of(s.node());
        CudaLanguage lang = s.lang();
        DType at = s.inType(0).dtype();
        String ht = lang.storage(at);
        String sh = lang.sharedKeyword();
        StringBuilder b = new StringBuilder();
        b.append("  using namespace nvcuda;\n");
        b.append("  enum { TILE_M = 32, TILE_N = 32, BK = 16 };\n");
        // 32-byte aligned rows: WMMA loads need 256-bit aligned pointers and a leading dim multiple of 8.
        b.append("  ").append(sh).append(" __align__(32) ").append(ht).append(" As[TILE_M][BK];\n");
        b.append("  ").append(sh).append(" __align__(32) ").append(ht).append(" Bs[BK][TILE_N];\n");
        b.append("  ").append(sh).append(" __align__(32) float Cs[TILE_M][TILE_N];\n");
        b.append(prologue(s, g));
        b.append("  const int warp = ").append(lang.threadIdx()).append(".x / 32;\n");
        b.append("  const int wm = (warp / 2) * 16, wn = (warp % 2) * 16;\n");
        b.append("  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;\n");
        b.append("  wmma::fill_fragment(acc, 0.0f);\n");
        b.append("  for (i64 k0 = 0; k0 < K; k0 += BK) {\n");
        b.append("    for (int l = ").append(lang.threadIdx()).append(".x; l < TILE_M * BK; l += 128) {\n");
        b.append("      const int r = l / BK, kk = l % BK;\n");
        b.append("      const i64 gm = m0 + r, gk = k0 + kk;\n");
        b.append("      As[r][kk] = (gm < M && gk < K) ? a[gm*")
                .append(g.aRow())
                .append(" + gk*")
                .append(g.aCol())
                .append("] : ")
                .append(lang.store(at, "0.0f"))
                .append(";\n");
        b.append("      const int kb = l / TILE_N, cn = l % TILE_N;\n");
        b.append("      const i64 gn = n0 + cn, gkb = k0 + kb;\n");
        b.append("      Bs[kb][cn] = (gn < N && gkb < K) ? b[gkb*")
                .append(g.bRow())
                .append(" + gn*")
                .append(g.bCol())
                .append("] : ")
                .append(lang.store(at, "0.0f"))
                .append(";\n");
        b.append("    }\n");
        b.append("    ").append(lang.barrier()).append(";\n");
        b.append("    wmma::fragment<wmma::matrix_a, 16, 16, 16, ").append(ht).append(", wmma::row_major> fa;\n");
        b.append("    wmma::fragment<wmma::matrix_b, 16, 16, 16, ").append(ht).append(", wmma::row_major> fb;\n");
        b.append("    wmma::load_matrix_sync(fa, &As[wm][0], BK);\n");
        b.append("    wmma::load_matrix_sync(fb, &Bs[0][wn], TILE_N);\n");
        b.append("    wmma::mma_sync(acc, fa, fb, acc);\n");
        b.append("    ").append(lang.barrier()).append(";\n");
        b.append("  }\n");
        b.append("  wmma::store_matrix_sync(&Cs[wm][wn], acc, TILE_N, wmma::mem_row_major);\n");
        b.append("  ").append(lang.barrier()).append(";\n");
        b.append("  for (int l = ").append(lang.threadIdx()).append(".x; l < TILE_M * TILE_N; l += 128) {\n");
        b.append("    const i64 e0 = m0 + l / TILE_N, e1 = n0 + l % TILE_N;\n");
        b.append("    if (e0 < M && e1 < N) c[e0*N + e1] = ")
                .append(epilogue(s, "Cs[l / TILE_N][l % TILE_N]"))
                .append(";\n");
        b.append("  }\n");
        b.append("  ").append(lang.barrier()).append(";\n");
        b.append("  }\n");
        return s.kernel(b.toString(), launch(g, WMMA_TILE, 128));
    }
}
