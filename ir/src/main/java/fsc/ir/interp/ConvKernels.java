package fsc.ir.interp;

import fsc.ir.Node;
import fsc.ir.ops.Windows;
import java.util.Arrays;

/**
 * Reference convolution, pooling and batch normalisation over {@code [N, C, spatial...]}, with
 * any number of spatial axes. Each output element visits its window directly; padding positions
 * are skipped (zero for conv, excluded for max, counted per {@code count_include_pad} for average).
 */
final class ConvKernels {
    private ConvKernels() {}

    private static long[] spatial(long[] shape) {
        return Arrays.copyOfRange(shape, 2, shape.length);
    }

    /**
     * The input position of kernel offset {@code kc} for output position {@code oc} on every axis,
     * or null when it falls in the padding.
     */
    private static long[] source(Windows w, long[] in, long[] oc, long[] kc) {
        long[] pos = new long[in.length];
        for (int d = 0; d < in.length; d++) {
            pos[d] = oc[d] * w.strides()[d] - w.padsBegin()[d] + kc[d] * w.dilations()[d];
            if (pos[d] < 0 || pos[d] >= in[d]) {
                return null;
            }
        }
        return pos;
    }

    static HostTensor conv(Call c) {
        return convolve(c.node(), c.in(0), c.in(1), c.in().size() > 2 ? c.in(2) : null, c.newOutput());
    }

    /**
     * The convolution of {@code x} by {@code w} (+ {@code b}) with {@code node}'s window attributes,
     * into {@code out}, which has the result's shape and the type it is stored in.
     */
    static HostTensor convolve(Node node, HostTensor x, HostTensor w, HostTensor b, HostTensor out) {
        long[] xs = x.shape();
        long[] ws = w.shape();
        long[] in = spatial(xs);
        long[] kernel = spatial(ws);
        Windows win = Windows.resolve(node.op(), node.attrs(), in, kernel);
        long group = node.intAttr("group");
        long n = xs[0];
        long m = ws[0];
        long cPerGroup = ws[1];
        long mPerGroup = m / group;
        long inSize = Index.count(in);
        long kSize = Index.count(kernel);
        long outSize = Index.count(win.out());
        for (long bi = 0; bi < n; bi++) {
            for (long oc = 0; oc < m; oc++) {
                long g = oc / mPerGroup;
                for (long o = 0; o < outSize; o++) {
                    long[] ocoord = Index.unravel(o, win.out());
                    double sum = b == null ? 0 : b.getDouble(oc);
                    for (long ci = 0; ci < cPerGroup; ci++) {
                        long channel = g * cPerGroup + ci;
                        for (long k = 0; k < kSize; k++) {
                            long[] pos = source(win, in, ocoord, Index.unravel(k, kernel));
                            if (pos != null) {
                                double xv = x.getDouble((bi * xs[1] + channel) * inSize + Index.ravel(pos, in));
                                sum += xv * w.getDouble((oc * cPerGroup + ci) * kSize + k);
                            }
                        }
                    }
                    out.setDouble((bi * m + oc) * outSize + o, sum);
                }
            }
        }
        return out;
    }

    static HostTensor pool(Call c) {
        HostTensor x = c.in(0);
        long[] xs = x.shape();
        long[] in = spatial(xs);
        long[] kernel = c.node().intsAttr("kernel_shape");
        Windows win = Windows.resolve(c.node().op(), c.node().attrs(), in, kernel);
        boolean max = c.node().op().equals("max_pool");
        boolean includePad = c.node().intAttr("count_include_pad") != 0;
        long planes = xs[0] * xs[1];
        long inSize = Index.count(in);
        long kSize = Index.count(kernel);
        long outSize = Index.count(win.out());
        HostTensor out = c.newOutput();
        for (long p = 0; p < planes; p++) {
            for (long o = 0; o < outSize; o++) {
                long[] ocoord = Index.unravel(o, win.out());
                double acc = max ? Double.NEGATIVE_INFINITY : 0;
                long count = 0;
                for (long k = 0; k < kSize; k++) {
                    long[] kc = Index.unravel(k, kernel);
                    long[] pos = source(win, in, ocoord, kc);
                    if (pos == null) {
                        // count_include_pad counts explicit pads, not positions past them (ceil_mode).
                        if (includePad && insidePads(win, in, ocoord, kc)) {
                            count++;
                        }
                        continue;
                    }
                    double v = x.getDouble(p * inSize + Index.ravel(pos, in));
                    acc = max ? Math.max(acc, v) : acc + v;
                    count++;
                }
                out.setDouble(p * outSize + o, max ? acc : acc / count);
            }
        }
        return out;
    }

    private static boolean insidePads(Windows w, long[] in, long[] oc, long[] kc) {
        for (int d = 0; d < in.length; d++) {
            long pos = oc[d] * w.strides()[d] - w.padsBegin()[d] + kc[d] * w.dilations()[d];
            if (pos < -w.padsBegin()[d] || pos >= in[d] + w.padsEnd()[d]) {
                return false;
            }
        }
        return true;
    }

    static HostTensor globalPool(Call c) {
        HostTensor x = c.in(0);
        long[] xs = x.shape();
        long planes = xs[0] * xs[1];
        long inSize = Index.count(spatial(xs));
        boolean max = c.node().op().equals("global_max_pool");
        HostTensor out = c.newOutput();
        for (long p = 0; p < planes; p++) {
            double acc = max ? Double.NEGATIVE_INFINITY : 0;
            for (long i = 0; i < inSize; i++) {
                double v = x.getDouble(p * inSize + i);
                acc = max ? Math.max(acc, v) : acc + v;
            }
            out.setDouble(p, max ? acc : acc / inSize);
        }
        return out;
    }

    /** {@code (x - mean) / sqrt(var + epsilon) * scale + bias} per channel. */
    static HostTensor batchNorm(Call c) {
        HostTensor x = c.in(0);
        long[] xs = x.shape();
        long channels = xs[1];
        long inner = Index.product(xs, 2, xs.length);
        double epsilon = c.node().floatAttr("epsilon");
        HostTensor out = c.newOutput();
        for (long i = 0; i < x.size(); i++) {
            long ch = (i / inner) % channels;
            double norm =
                    (x.getDouble(i) - c.in(3).getDouble(ch)) / Math.sqrt(c.in(4).getDouble(ch) + epsilon);
            out.setDouble(i, norm * c.in(1).getDouble(ch) + c.in(2).getDouble(ch));
        }
        return out;
    }
}
