package fsc.ir.interp;

import java.util.Arrays;

/** Reference reductions, softmax/log_softmax and layer_norm, all accumulating in double. */
final class ReduceKernels {
    private ReduceKernels() {}

    static HostTensor reduce(Call c) {
        HostTensor x = c.in(0);
        long[] xShape = x.shape();
        int rank = xShape.length;
        long[] axes = c.intsFrom(1, "axes");
        boolean[] reduced = new boolean[rank];
        if (axes == null || axes.length == 0) {
            Arrays.fill(reduced, c.node().intAttr("noop_with_empty_axes") == 0);
        } else {
            for (long a : axes) {
                reduced[Call.axis(a, rank)] = true;
            }
        }
        // The kept shape (reduced axes as 1) indexes the accumulators whether or not keepdims drops them.
        long[] kept = xShape.clone();
        for (int d = 0; d < rank; d++) {
            if (reduced[d]) {
                kept[d] = 1;
            }
        }
        String op = c.node().op();
        int groups = (int) Index.count(kept);
        double[] acc = new double[groups];
        Arrays.fill(
                acc,
                switch (op) {
                    case "reduce_max" -> Double.NEGATIVE_INFINITY;
                    case "reduce_min" -> Double.POSITIVE_INFINITY;
                    case "reduce_prod" -> 1;
                    default -> 0;
                });
        for (long i = 0; i < x.size(); i++) {
            long[] coord = Index.unravel(i, xShape);
            for (int d = 0; d < rank; d++) {
                if (reduced[d]) {
                    coord[d] = 0;
                }
            }
            int g = (int) Index.ravel(coord, kept);
            double v = x.getDouble(i);
            acc[g] = switch (op) {
                case "reduce_sum", "reduce_mean" -> acc[g] + v;
                case "reduce_max" -> Math.max(acc[g], v);
                case "reduce_min" -> Math.min(acc[g], v);
                case "reduce_prod" -> acc[g] * v;
                case "reduce_l2" -> acc[g] + v * v;
                default -> throw new IllegalStateException("not a reduction: " + op);
            };
        }
        long perGroup = groups == 0 ? 0 : x.size() / groups;
        HostTensor out = c.newOutput();
        for (int g = 0; g < groups; g++) {
            double v =
                    switch (op) {
                        case "reduce_mean" -> acc[g] / perGroup;
                        case "reduce_l2" -> Math.sqrt(acc[g]);
                        default -> acc[g];
                    };
            out.setDouble(g, v);
        }
        return out;
    }

    /** Softmax over one axis, max-subtracted for range; log_softmax as {@code x - max - log(sum)}. */
    static HostTensor softmax(Call c) {
        HostTensor x = c.in(0);
        long[] shape = x.shape();
        int axis = Call.axis(c.node().intAttr("axis"), shape.length);
        long len = shape[axis];
        long outer = Index.product(shape, 0, axis);
        long inner = Index.product(shape, axis + 1, shape.length);
        boolean log = c.node().op().equals("log_softmax");
        HostTensor out = c.newOutput();
        for (long o = 0; o < outer; o++) {
            for (long in = 0; in < inner; in++) {
                long base = o * len * inner + in;
                double max = Double.NEGATIVE_INFINITY;
                for (long j = 0; j < len; j++) {
                    max = Math.max(max, x.getDouble(base + j * inner));
                }
                double sum = 0;
                for (long j = 0; j < len; j++) {
                    sum += Math.exp(x.getDouble(base + j * inner) - max);
                }
                for (long j = 0; j < len; j++) {
                    double shifted = x.getDouble(base + j * inner) - max;
                    out.setDouble(base + j * inner, log ? shifted - Math.log(sum) : Math.exp(shifted) / sum);
                }
            }
        }
        return out;
    }

    /**
     * {@code (x - mean) / sqrt(var + epsilon) * scale + bias} over the axes from {@code axis} on;
     * rms_norm is {@code x / sqrt(mean(x^2) + epsilon) * scale}, the same without centring or bias.
     */
    static HostTensor layerNorm(Call c) {
        boolean rms = c.node().op().equals("rms_norm");
        HostTensor x = c.in(0);
        long[] shape = x.shape();
        int axis = Call.axis(c.node().intAttr("axis"), shape.length);
        double epsilon = c.node().floatAttr("epsilon");
        long[] normShape = Arrays.copyOfRange(shape, axis, shape.length);
        long outer = Index.product(shape, 0, axis);
        long len = Index.count(normShape);
        HostTensor scale = c.in(1);
        HostTensor bias = c.in().size() > 2 ? c.in(2) : null;
        long[] scaleShape = scale.shape();
        long[] biasShape = bias == null ? null : bias.shape();
        HostTensor out = c.newOutput();
        for (long o = 0; o < outer; o++) {
            long base = o * len;
            double mean = 0;
            for (long j = 0; !rms && j < len; j++) {
                mean += x.getDouble(base + j);
            }
            mean /= len;
            double var = 0;
            for (long j = 0; j < len; j++) {
                double d = x.getDouble(base + j) - mean;
                var += d * d;
            }
            var /= len;
            double inv = 1 / Math.sqrt(var + epsilon);
            for (long j = 0; j < len; j++) {
                double v = (x.getDouble(base + j) - mean)
                        * inv
                        * scale.getDouble(Index.broadcast(normShape, scaleShape, j));
                if (bias != null) {
                    v += bias.getDouble(Index.broadcast(normShape, biasShape, j));
                }
                out.setDouble(base + j, v);
            }
        }
        return out;
    }
}
