package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Det and AffineGrid through existing IR ops:
 *
 * <ul>
 *   <li>Det by the Leibniz formula, {@code sum over permutations σ of sign(σ) · prod_i a[i, σ(i)]}: one
 *       gather picks the n! products' factors, then {@code reduce_prod}, a signed {@code reduce_sum}.
 *       Exact arithmetic, n! terms, so it is limited to n ≤ 6.
 *   <li>AffineGrid as {@code base @ thetaᵀ}, where {@code base} holds the homogeneous normalised
 *       coordinates {@code (x, y[, z], 1)} of every output position (a constant: the size operand
 *       must be known).
 * </ul>
 */
final class LinalgExtraConverters {
    private LinalgExtraConverters() {}

    private static final int MAX_DET_ORDER = 6;

    static void register(List<Rule> rules) {
        rules.add(new Rule("Det", 11, LinalgExtraConverters::det));
        rules.add(new Rule("AffineGrid", 20, LinalgExtraConverters::affineGrid));
    }

    private static void det(NodeContext c) {
        Value x = c.input(0);
        long[] shape = StaticSelection.fixedShape(c, x);
        int r = shape.length;
        if (r < 2 || shape[r - 1] != shape[r - 2] || !x.type().dtype().isFloat()) {
            throw c.fail("needs floating-point square matrices [..., n, n], got " + x.type());
        }
        int n = (int) shape[r - 1];
        if (n > MAX_DET_ORDER) {
            throw c.fail("computes determinants up to order " + MAX_DET_ORDER + " (Leibniz formula), got " + n);
        }
        long[] batch = Arrays.copyOf(shape, r - 2);
        long b = StaticSelection.count(batch);
        List<int[]> perms = new ArrayList<>();
        permutations(new int[n], new boolean[n], 0, perms);
        long[] idx = new long[perms.size() * n];
        HostTensor signs = HostTensor.zeros(x.type().dtype(), new long[] {perms.size()});
        for (int p = 0; p < perms.size(); p++) {
            int[] sigma = perms.get(p);
            for (int i = 0; i < n; i++) {
                idx[p * n + i] = (long) i * n + sigma[i];
            }
            signs.setDouble(p, sign(sigma));
        }
        Value rows = c.emit(
                "reshape", List.of(x), Map.of("shape", StaticSelection.dims(b, (long) n * n)), c.temp("matrices"));
        Value factors = c.emit(
                "gather",
                List.of(
                        rows,
                        c.constant(
                                "factors",
                                HostTensor.ofLongs(new long[] {perms.size(), n}, idx)
                                        .toWeight())),
                Map.of("axis", new Attr.Int(1)),
                c.temp("factors"));
        Value terms = c.emit(
                "reduce_prod",
                List.of(factors),
                Map.of("axes", Attr.ints(2), "keepdims", new Attr.Int(0)),
                c.temp("terms"));
        Value signed = c.emit("mul", List.of(terms, c.constant("signs", signs.toWeight())), Map.of(), c.temp("signed"));
        Value sum = c.emit(
                "reduce_sum",
                List.of(signed),
                Map.of("axes", Attr.ints(1), "keepdims", new Attr.Int(0)),
                c.temp("sum"));
        c.produce("reshape", List.of(sum), Map.of("shape", StaticSelection.dims(batch)));
    }

    /** Every permutation of 0..n-1 in lexicographic order. */
    private static void permutations(int[] current, boolean[] used, int at, List<int[]> out) {
        if (at == current.length) {
            out.add(current.clone());
            return;
        }
        for (int v = 0; v < current.length; v++) {
            if (!used[v]) {
                used[v] = true;
                current[at] = v;
                permutations(current, used, at + 1, out);
                used[v] = false;
            }
        }
    }

    /** +1 for an even permutation, -1 for an odd one (parity of the inversion count). */
    private static int sign(int[] sigma) {
        int inversions = 0;
        for (int i = 0; i < sigma.length; i++) {
            for (int j = i + 1; j < sigma.length; j++) {
                if (sigma[i] > sigma[j]) {
                    inversions++;
                }
            }
        }
        return inversions % 2 == 0 ? 1 : -1;
    }

    private static void affineGrid(NodeContext c) {
        Value theta = c.input(0);
        long[] ts = StaticSelection.fixedShape(c, theta);
        HostTensor size = KnownOperands.tensor(c, 1, "the output size");
        int spatial = (int) size.size() - 2;
        if ((spatial != 2 && spatial != 3)
                || ts.length != 3
                || ts[1] != spatial
                || ts[2] != spatial + 1
                || theta.type().dtype() != DType.F32) {
            throw c.fail(
                    "needs f32 theta [N, 2, 3] with size [N, C, H, W] or theta [N, 3, 4] with size [N, C, D, H, W],"
                            + " got " + theta.type() + " and " + size.size() + " sizes");
        }
        if (size.getLong(0) != ts[0]) {
            throw c.fail("size says batch " + size.getLong(0) + ", theta has " + ts[0]);
        }
        boolean alignCorners = c.attrs.intValue("align_corners", 0) != 0;
        // Spatial sizes in (D,) H, W order; coordinates are (x, y[, z]) with x along the last axis.
        long[] dims = new long[spatial];
        for (int i = 0; i < spatial; i++) {
            dims[i] = size.getLong(2 + i);
        }
        long positions = StaticSelection.count(dims);
        HostTensor base = HostTensor.zeros(DType.F32, new long[] {positions, spatial + 1});
        long[] coord = new long[spatial];
        for (long p = 0; p < positions; p++) {
            for (int k = 0; k < spatial; k++) {
                int axis = spatial - 1 - k;
                base.setDouble(p * (spatial + 1) + k, normalised(coord[axis], dims[axis], alignCorners));
            }
            base.setDouble(p * (spatial + 1) + spatial, 1);
            for (int d = spatial - 1; d >= 0; d--) {
                if (++coord[d] < dims[d]) {
                    break;
                }
                coord[d] = 0;
            }
        }
        Value thetaT = c.emit("transpose", List.of(theta), Map.of("perm", Attr.ints(0, 2, 1)), c.temp("theta_t"));
        Value grid = c.emit("matmul", List.of(c.constant("base", base.toWeight()), thetaT), Map.of(), c.temp("grid"));
        long[] out = new long[spatial + 2];
        out[0] = ts[0];
        System.arraycopy(dims, 0, out, 1, spatial);
        out[spatial + 1] = spatial;
        c.produce("reshape", List.of(grid), Map.of("shape", StaticSelection.dims(out)));
    }

    /** Position i of n in [-1, 1]: the corner pixels' centres (align_corners) or their outer edges. */
    private static double normalised(long i, long n, boolean alignCorners) {
        if (alignCorners) {
            return n == 1 ? -1 : -1 + 2.0 * i / (n - 1);
        }
        return (2.0 * i + 1) / n - 1;
    }
}
