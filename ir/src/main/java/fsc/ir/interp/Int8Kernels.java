package fsc.ir.interp;

import java.util.List;

/** Reference kernels of the int8 ops: DynamicQuantizeLinear and the exact int32 matmul with its rescale. */
final class Int8Kernels {
    private Int8Kernels() {}

    /** {@code (y, scale, zero_point)} as ONNX DynamicQuantizeLinear, in f32 step by step. */
    static List<HostTensor> dynamicQuantize(Call c) {
        HostTensor x = c.in(0);
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < x.size(); i++) {
            float v = (float) x.getDouble(i);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float lo = Math.min(min, 0f);
        float s = (Math.max(max, 0f) - lo) / 255f;
        float z = Math.min(Math.max((float) Math.rint(-(lo / s)), 0f), 255f);
        HostTensor y = c.newOutput(0);
        for (int i = 0; i < x.size(); i++) {
            float v = (float) Math.rint((float) x.getDouble(i) / s) + z;
            y.setLong(i, (long) Math.min(Math.max(v, 0f), 255f));
        }
        HostTensor scale = c.newOutput(1);
        scale.setDouble(0, s);
        HostTensor zp = c.newOutput(2);
        zp.setLong(0, (long) z);
        return List.of(y, scale, zp);
    }

    /**
     * {@code (q, scale)} of {@code dynamic_quantize_rows}, in f32 step by step as the element-wise
     * chain the quantize pass used to write: {@code x · inv}, {@code max|·|} per row, {@code max(·,
     * FLT_MIN) / 127}, {@code round(x / s)}.
     */
    static List<HostTensor> dynamicQuantizeRows(Call c) {
        HostTensor x = c.in(0);
        HostTensor inv = c.in().size() > 1 ? c.in(1) : null;
        long[] shape = x.shape();
        int k = (int) shape[shape.length - 1];
        long rows = HostTensor.count(shape) / k;
        HostTensor q = c.newOutput(0);
        HostTensor scale = c.newOutput(1);
        float[] row = new float[k];
        for (long r = 0; r < rows; r++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < k; i++) {
                float v = (float) x.getDouble(r * k + i);
                row[i] = inv == null ? v : v * (float) inv.getDouble(i);
                max = Math.max(max, Math.abs(row[i]));
            }
            float s = Math.max(max, Float.MIN_NORMAL) / 127f;
            for (int i = 0; i < k; i++) {
                q.setLong(r * k + i, (long) (float) Math.rint(row[i] / s));
            }
            scale.setDouble(r, s);
        }
        return List.of(q, scale);
    }

    static HostTensor matmulInt8(Call c) {
        HostTensor a = c.in(0);
        long zp = c.in(1).getLong(0);
        HostTensor b = c.in(2);
        HostTensor off = c.in(3);
        int factors = (int) c.node().intAttr("scale_factors");
        HostTensor scale = c.in().size() > 4 ? c.in(3 + factors) : null;
        float aScale = factors == 2 ? (float) c.in(4).getDouble(0) : 1f;
        int rowScaleAt = c.node().intAttr("row_scale") == 1 ? 4 + factors : -1;
        HostTensor rowScale = rowScaleAt > 0 ? c.in(rowScaleAt) : null;
        int biasAt = 4 + factors + (rowScale != null ? 1 : 0);
        HostTensor bias = c.in().size() > biasAt ? c.in(biasAt) : null;
        boolean gelu = c.node().intAttr("gelu") == 1;
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
                // (x · 1f is x exactly, so one factor and two agree.)
                float s = aScale * (float) scale.getDouble(scale.size() == 1 ? 0 : j);
                float y = (float) sum * s;
                if (rowScale != null) {
                    y = y * (float) rowScale.getDouble(i);
                }
                if (bias != null) {
                    y = y + (float) bias.getDouble(j);
                }
                // As the interpreter's gelu node: in double, then stored as f32.
                out.setDouble(i * n + j, gelu ? MathFunctions.gelu(y, false) : y);
            }
        }
        return out;
    }
}
