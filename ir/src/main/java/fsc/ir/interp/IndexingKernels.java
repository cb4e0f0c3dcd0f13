package fsc.ir.interp;

import java.util.ArrayList;
import java.util.List;

/** Reference range, split, trilu, tile, cumsum, cumprod and argmax. */
final class IndexingKernels {
    private IndexingKernels() {}

    static HostTensor range(Call c) {
        HostTensor out = c.newOutput();
        boolean floating = out.dtype().isFloat();
        for (long i = 0; i < out.size(); i++) {
            if (floating) {
                out.setDouble(i, c.in(0).getDouble(0) + i * c.in(2).getDouble(0));
            } else {
                out.setLong(i, c.in(0).getLong(0) + i * c.in(2).getLong(0));
            }
        }
        return out;
    }

    /** The outputs' shapes already hold the part sizes; copy consecutive slabs along the axis. */
    static List<HostTensor> split(Call c) {
        HostTensor x = c.in(0);
        long[] shape = x.shape();
        int axis = Call.axis(c.node().intAttr("axis"), shape.length);
        long outer = Index.product(shape, 0, axis);
        long inner = Index.product(shape, axis + 1, shape.length);
        List<HostTensor> outs = new ArrayList<>();
        long offset = 0;
        for (int k = 0; k < c.outShapes().size(); k++) {
            HostTensor out = c.newOutput(k);
            long len = c.outShapes().get(k)[axis];
            long o = 0;
            for (long a = 0; a < outer; a++) {
                for (long j = 0; j < len * inner; j++) {
                    Index.copy(x, (a * shape[axis] + offset) * inner + j, out, o++);
                }
            }
            offset += len;
            outs.add(out);
        }
        return outs;
    }

    /** Keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two axes. */
    static HostTensor trilu(Call c) {
        HostTensor x = c.in(0);
        long[] shape = x.shape();
        long rows = shape[shape.length - 2];
        long cols = shape[shape.length - 1];
        long k = c.in().size() > 1 ? c.in(1).getLong(0) : c.node().intAttr("k");
        boolean upper = c.node().intAttr("upper") != 0;
        HostTensor out = c.newOutput();
        for (long i = 0; i < out.size(); i++) {
            long col = i % cols;
            long row = (i / cols) % rows;
            boolean keep = upper ? col - row >= k : col - row <= k;
            if (keep) {
                Index.copy(x, i, out, i);
            }
        }
        return out;
    }

    static HostTensor tile(Call c) {
        HostTensor x = c.in(0);
        long[] shape = x.shape();
        HostTensor out = c.newOutput();
        for (long i = 0; i < out.size(); i++) {
            long[] coord = Index.unravel(i, c.outShape());
            for (int d = 0; d < coord.length; d++) {
                coord[d] %= shape[d];
            }
            Index.copy(x, Index.ravel(coord, shape), out, i);
        }
        return out;
    }

    /**
     * Running sum ({@code cumsum}) or product ({@code cumprod}) along the axis (operand 1 or attribute
     * {@code axis}); {@code exclusive} starts from the identity, {@code reverse} scans backwards.
     */
    static HostTensor cumulative(Call c) {
        HostTensor x = c.in(0);
        long[] shape = x.shape();
        long a = c.in().size() > 1 ? c.in(1).getLong(0) : c.node().intAttr("axis");
        int axis = Call.axis(a, shape.length);
        boolean product = c.node().op().equals("cumprod");
        boolean exclusive = c.node().intAttr("exclusive") != 0;
        boolean reverse = c.node().intAttr("reverse") != 0;
        long len = shape[axis];
        long outer = Index.product(shape, 0, axis);
        long inner = Index.product(shape, axis + 1, shape.length);
        boolean floating = x.dtype().isFloat();
        HostTensor out = c.newOutput();
        for (long o = 0; o < outer; o++) {
            for (long in = 0; in < inner; in++) {
                double acc = product ? 1 : 0;
                long iacc = product ? 1 : 0;
                for (long step = 0; step < len; step++) {
                    long j = reverse ? len - 1 - step : step;
                    long idx = (o * len + j) * inner + in;
                    if (exclusive) {
                        store(out, idx, floating, acc, iacc);
                    }
                    if (floating) {
                        acc = product ? acc * x.getDouble(idx) : acc + x.getDouble(idx);
                    } else {
                        iacc = product ? iacc * x.getLong(idx) : iacc + x.getLong(idx);
                    }
                    if (!exclusive) {
                        store(out, idx, floating, acc, iacc);
                    }
                }
            }
        }
        return out;
    }

    private static void store(HostTensor out, long idx, boolean floating, double acc, long iacc) {
        if (floating) {
            out.setDouble(idx, acc);
        } else {
            out.setLong(idx, iacc);
        }
    }

    /** Index of the largest element along the axis; the first one on ties unless {@code select_last_index}. */
    static HostTensor argmax(Call c) {
        HostTensor x = c.in(0);
        long[] shape = x.shape();
        int axis = Call.axis(c.node().intAttr("axis"), shape.length);
        boolean last = c.node().intAttr("select_last_index") != 0;
        long len = shape[axis];
        long outer = Index.product(shape, 0, axis);
        long inner = Index.product(shape, axis + 1, shape.length);
        HostTensor out = c.newOutput();
        for (long o = 0; o < outer; o++) {
            for (long in = 0; in < inner; in++) {
                long best = 0;
                double bestValue = x.getDouble(o * len * inner + in);
                for (long j = 1; j < len; j++) {
                    double v = x.getDouble((o * len + j) * inner + in);
                    if (v > bestValue || (last && v == bestValue)) {
                        best = j;
                        bestValue = v;
                    }
                }
                out.setLong(o * inner + in, best);
            }
        }
        return out;
    }
}
