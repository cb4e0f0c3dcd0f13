package fsc.ir.interp;

import java.util.Arrays;

/** Reference matmul (numpy semantics) and gemm, accumulating in double (long for integers). */
final class LinalgKernels {
    private LinalgKernels() {}

    static HostTensor matmul(Call c) {
        return product(c.in(0), c.in(1), c.newOutput());
    }

    /** {@code a × b} into {@code out}, which has the product's shape and the type it is stored in. */
    static HostTensor product(HostTensor a, HostTensor b, HostTensor out) {
        // Promote 1-D operands to matrices, as numpy does; the output shape already drops them again.
        long[] as = a.rank() == 1 ? new long[] {1, a.shape()[0]} : a.shape();
        long[] bs = b.rank() == 1 ? new long[] {b.shape()[0], 1} : b.shape();
        long m = as[as.length - 2];
        long k = as[as.length - 1];
        long n = bs[bs.length - 1];
        long[] batchA = Arrays.copyOf(as, as.length - 2);
        long[] batchB = Arrays.copyOf(bs, bs.length - 2);
        long[] batch = Index.broadcastShape(batchA, batchB);
        boolean floating = out.dtype().isFloat();
        long o = 0;
        for (long bi = 0; bi < Index.count(batch); bi++) {
            long aBase = Index.broadcast(batch, batchA, bi) * m * k;
            long bBase = Index.broadcast(batch, batchB, bi) * k * n;
            for (long i = 0; i < m; i++) {
                for (long j = 0; j < n; j++) {
                    double sum = 0;
                    long isum = 0;
                    for (long p = 0; p < k; p++) {
                        long ai = aBase + i * k + p;
                        long bj = bBase + p * n + j;
                        if (floating) {
                            sum += a.getDouble(ai) * b.getDouble(bj);
                        } else {
                            isum += a.getLong(ai) * b.getLong(bj);
                        }
                    }
                    if (floating) {
                        out.setDouble(o++, sum);
                    } else {
                        out.setLong(o++, isum);
                    }
                }
            }
        }
        return out;
    }

    /** {@code alpha * op(A) * op(B) + beta * C}, C broadcast to [M, N]. */
    static HostTensor gemm(Call c) {
        HostTensor a = c.in(0);
        HostTensor b = c.in(1);
        boolean ta = c.node().intAttr("trans_a") != 0;
        boolean tb = c.node().intAttr("trans_b") != 0;
        double alpha = c.node().floatAttr("alpha");
        double beta = c.node().floatAttr("beta");
        long[] as = a.shape();
        long[] bs = b.shape();
        long m = ta ? as[1] : as[0];
        long k = ta ? as[0] : as[1];
        long n = tb ? bs[0] : bs[1];
        HostTensor out = c.newOutput();
        HostTensor bias = c.in().size() > 2 ? c.in(2) : null;
        long[] biasShape = bias == null ? null : bias.shape();
        for (long i = 0; i < m; i++) {
            for (long j = 0; j < n; j++) {
                double sum = 0;
                for (long p = 0; p < k; p++) {
                    double x = a.getDouble(ta ? p * m + i : i * k + p);
                    double y = b.getDouble(tb ? j * k + p : p * n + j);
                    sum += x * y;
                }
                double v = alpha * sum;
                if (bias != null) {
                    v += beta * bias.getDouble(Index.broadcast(c.outShape(), biasShape, i * n + j));
                }
                out.setDouble(i * n + j, v);
            }
        }
        return out;
    }
}
