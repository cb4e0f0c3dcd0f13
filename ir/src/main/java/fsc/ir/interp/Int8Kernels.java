package fsc.ir.interp;

/** Reference {@code matmul_int8}: exact int32 sums (checked), then the optional f32 rescale. */
final class Int8Kernels {
    private Int8Kernels() {}

    static HostTensor matmulInt8(Call c) {
        HostTensor a = c.in(0);
        long zp = c.in(1).getLong(0);
        HostTensor b = c.in(2);
        HostTensor off = c.in(3);
        HostTensor scale = c.in().size() > 4 ? c.in(4) : null;
        HostTensor bias = c.in().size() > 5 ? c.in(5) : null;
        long[] as = a.shape();
        long k = as[as.length - 1];
        long rows = HostTensor.count(as) / Math.max(1, k);
        long n = b.shape()[1];
        HostTensor out = c.newOutput();
        for (long i = 0; i < rows; i++) {
            for (long j = 0; j < n; j++) {
                long acc = 0;
                for (long p = 0; p < k; p++) {
                    acc += (a.getLong(i * k + p) - zp) * (b.getLong(p * n + j) - off.getLong(j));
                }
                int sum = Math.toIntExact(acc);
                if (scale == null) {
                    out.setLong(i * n + j, sum);
                    continue;
                }
                // Rounded to f32 after each step, as the graph it replaces computes.
                float y = (float) sum * (float) scale.getDouble(scale.size() == 1 ? 0 : j);
                if (bias != null) {
                    y = y + (float) bias.getDouble(j);
                }
                out.setDouble(i * n + j, y);
            }
        }
        return out;
    }
}
