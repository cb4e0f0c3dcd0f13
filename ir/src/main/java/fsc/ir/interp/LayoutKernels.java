package fsc.ir.interp;

import fsc.ir.DType;
import fsc.ir.ops.SliceOp;
import java.util.Arrays;

/** Reference kernels that move data: reshapes, transpose, expand, concat, slice, gather, shape. */
final class LayoutKernels {
    private LayoutKernels() {}

    /** reshape, squeeze, unsqueeze, identity-like ops: the same elements under the output shape. */
    static HostTensor reinterpret(Call c) {
        HostTensor out = c.newOutput();
        HostTensor x = c.in(0);
        if (x.size() != out.size()) {
            throw new IllegalStateException(
                    c.node().where() + ": " + x.size() + " elements, output holds " + out.size());
        }
        out.dataView().put(0, x.dataView(), 0, x.dataView().capacity());
        return out;
    }

    static HostTensor transpose(Call c) {
        HostTensor x = c.in(0);
        long[] xShape = x.shape();
        long[] perm = c.node().intsAttr("perm");
        int rank = xShape.length;
        HostTensor out = c.newOutput();
        for (long i = 0; i < out.size(); i++) {
            long[] oc = Index.unravel(i, c.outShape());
            long[] xc = new long[rank];
            for (int d = 0; d < rank; d++) {
                xc[perm == null ? rank - 1 - d : Call.axis(perm[d], rank)] = oc[d];
            }
            Index.copy(x, Index.ravel(xc, xShape), out, i);
        }
        return out;
    }

    static HostTensor expand(Call c) {
        HostTensor x = c.in(0);
        long[] xShape = x.shape();
        HostTensor out = c.newOutput();
        for (long i = 0; i < out.size(); i++) {
            Index.copy(x, Index.broadcast(c.outShape(), xShape, i), out, i);
        }
        return out;
    }

    static HostTensor concat(Call c) {
        HostTensor out = c.newOutput();
        int axis = Call.axis(c.node().intAttr("axis"), c.outShape().length);
        long outer = Index.product(c.outShape(), 0, axis);
        long o = 0;
        for (long k = 0; k < outer; k++) {
            for (HostTensor x : c.in()) {
                long chunk = Index.product(x.shape(), axis, x.rank());
                for (long j = 0; j < chunk; j++) {
                    Index.copy(x, k * chunk + j, out, o++);
                }
            }
        }
        return out;
    }

    static HostTensor slice(Call c) {
        HostTensor x = c.in(0);
        long[] xShape = x.shape();
        int rank = xShape.length;
        long[] starts = c.intsFrom(1, "starts");
        long[] ends = c.intsFrom(2, "ends");
        long[] axes = c.intsFrom(3, "axes");
        long[] steps = c.intsFrom(4, "steps");
        long[] first = new long[rank];
        long[] step = new long[rank];
        Arrays.fill(step, 1);
        for (int k = 0; k < starts.length; k++) {
            int axis = Call.axis(axes == null ? k : axes[k], rank);
            step[axis] = steps == null ? 1 : steps[k];
            first[axis] =
                    SliceOp.clamp(xShape[axis], starts[k], ends[k], step[axis]).start();
        }
        HostTensor out = c.newOutput();
        for (long i = 0; i < out.size(); i++) {
            long[] oc = Index.unravel(i, c.outShape());
            for (int d = 0; d < rank; d++) {
                oc[d] = first[d] + oc[d] * step[d];
            }
            Index.copy(x, Index.ravel(oc, xShape), out, i);
        }
        return out;
    }

    static HostTensor gather(Call c) {
        HostTensor data = c.in(0);
        HostTensor indices = c.in(1);
        long[] dShape = data.shape();
        int axis = Call.axis(c.node().intAttr("axis"), dShape.length);
        long axisLen = dShape[axis];
        long outer = Index.product(dShape, 0, axis);
        long inner = Index.product(dShape, axis + 1, dShape.length);
        HostTensor out = c.newOutput();
        long o = 0;
        for (long k = 0; k < outer; k++) {
            for (long n = 0; n < indices.size(); n++) {
                long idx = indices.getLong(n);
                long j = idx < 0 ? idx + axisLen : idx;
                if (j < 0 || j >= axisLen) {
                    throw c.fail("index " + idx + " is out of range for axis " + axis + " of size " + axisLen);
                }
                for (long m = 0; m < inner; m++) {
                    Index.copy(data, (k * axisLen + j) * inner + m, out, o++);
                }
            }
        }
        return out;
    }

    static HostTensor shape(Call c) {
        long[] xShape = c.in(0).shape();
        int rank = xShape.length;
        long start = c.node().intAttr("start");
        long end = c.node().has("end") ? c.node().intAttr("end") : rank;
        int s = (int) Math.clamp(start < 0 ? start + rank : start, 0, rank);
        int e = (int) Math.clamp(end < 0 ? end + rank : end, 0, rank);
        return HostTensor.ofInts(DType.I64, c.outShape(), e > s ? Arrays.copyOfRange(xShape, s, e) : new long[0]);
    }

    /** Each value of attribute {@code values} under the call's symbol binding. */
    static HostTensor dimValues(Call c) {
        HostTensor out = c.newOutput();
        java.util.List<fsc.ir.Dim> values = c.node().dimsAttr("values");
        for (int i = 0; i < values.size(); i++) {
            out.setLong(i, values.get(i).evaluate(c.binding()));
        }
        return out;
    }

    static HostTensor constantOfShape(Call c) {
        HostTensor out = c.newOutput();
        double v = c.node().floatAttr("value");
        for (long i = 0; i < out.size(); i++) {
            out.setDouble(i, v);
        }
        return out;
    }
}
