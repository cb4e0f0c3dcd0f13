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
 * DFT and STFT as matrix products with constant transform matrices (a direct O(N²) DFT, which suits the
 * short signals these ops see outside FFT-specialised runtimes). A complex signal along the transform
 * axis is laid out as {@code [re(0..N), im(0..N)]} and multiplied by
 * {@code [[C, S], [-S, C]]} with {@code C = cos θ}, {@code S = sin θ}, {@code θ = ∓2πkn/N}; real input
 * uses the top rows only, onesided output keeps the first {@code N/2 + 1} bins, and the inverse
 * onesided transform (irfft) rebuilds the conjugate-symmetric half in the matrix and returns the real
 * part. Axis, lengths and frame step must be known at compile time.
 */
final class DftConverters {
    private DftConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("DFT", 17, DftConverters::dft));
        rules.add(new Rule("STFT", 17, DftConverters::stft));
    }

    private static void dft(NodeContext c) {
        Value x = c.input(0);
        long[] shape = StaticSelection.fixedShape(c, x);
        int rank = shape.length;
        int components = (int) shape[rank - 1];
        if (x.type().dtype() != DType.F32 || components < 1 || components > 2 || rank < 2) {
            throw c.fail("needs f32 input [..., N, 1 or 2], got " + x.type());
        }
        long a = c.opset >= 20
                ? (c.hasInput(2) ? KnownOperands.scalar(c, 2, "the axis") : -2)
                : c.attrs.intValue("axis", 1);
        // The axis counts the trailing complex dimension (opset 20 allows -2 for the last signal axis).
        int axis = SelectionConverters.axis(c, a, rank);
        if (axis == rank - 1) {
            throw c.fail("the axis cannot be the trailing real/imaginary dimension");
        }
        boolean inverse = c.attrs.intValue("inverse", 0) != 0;
        boolean onesided = c.attrs.intValue("onesided", 0) != 0;
        long in = shape[axis];
        long n;
        if (c.hasInput(1)) {
            n = KnownOperands.scalar(c, 1, "dft_length");
        } else {
            n = inverse && onesided ? 2 * (in - 1) : in;
        }
        if (n < 1) {
            throw c.fail("the transform length must be positive, got " + n);
        }
        Transform t = inverse && onesided
                ? Transform.inverseOnesided(in, n, components)
                : Transform.full(in, n, components, inverse, onesided);

        // Move the axis next to the trailing complex dim: [rest..., c, N] → [rest..., c·N].
        List<Integer> rest = new ArrayList<>();
        for (int d = 0; d < rank - 1; d++) {
            if (d != axis) {
                rest.add(d);
            }
        }
        long[] perm = new long[rank];
        for (int i = 0; i < rest.size(); i++) {
            perm[i] = rest.get(i);
        }
        perm[rank - 2] = rank - 1;
        perm[rank - 1] = axis;
        long[] restShape = rest.stream().mapToLong(d -> shape[d]).toArray();
        Value moved = c.emit("transpose", List.of(x), Map.of("perm", Attr.ints(perm)), c.temp("moved"));
        Value rows = c.emit(
                "reshape",
                List.of(moved),
                Map.of("shape", StaticSelection.dims(append(restShape, components * in))),
                c.temp("rows"));
        Value product =
                c.emit("matmul", List.of(rows, c.constant("transform", t.matrix.toWeight())), Map.of(), c.temp("dft"));
        Value split = c.emit(
                "reshape",
                List.of(product),
                Map.of("shape", StaticSelection.dims(append(append(restShape, t.outComponents), t.bins))),
                c.temp("split"));
        // [rest..., c', M] back to the input's order with M at the axis and c' last.
        long[] back = new long[rank];
        int r = 0;
        for (int d = 0; d < rank - 1; d++) {
            back[d] = d == axis ? rank - 1 : r++;
        }
        back[rank - 1] = rank - 2;
        c.produce("transpose", List.of(split), Map.of("perm", Attr.ints(back)));
    }

    /**
     * STFT: frames {@code signal[b, f·step + j]} (one gather), times the window when given, then the
     * DFT matrix of the frame length (onesided by default).
     */
    private static void stft(NodeContext c) {
        Value signal = c.input(0);
        long[] shape = StaticSelection.fixedShape(c, signal);
        if (signal.type().dtype() != DType.F32 || shape.length != 3 || shape[2] < 1 || shape[2] > 2) {
            throw c.fail("needs an f32 signal [batch, length, 1 or 2], got " + signal.type());
        }
        long step = KnownOperands.scalar(c, 1, "frame_step");
        Value window = c.hasInput(2) ? c.input(2) : null;
        long length;
        if (c.hasInput(3)) {
            length = KnownOperands.scalar(c, 3, "frame_length");
        } else if (window != null
                && window.type().rank() == 1
                && window.type().dim(0).isFixed()) {
            length = window.type().dim(0).value();
        } else {
            throw c.fail("needs frame_length or a window of fixed length");
        }
        boolean onesided = c.attrs.intValue("onesided", 1) != 0;
        long batch = shape[0];
        long components = shape[2];
        long frames = (shape[1] - length) / step + 1;
        if (step < 1 || length < 1 || frames < 1) {
            throw c.fail(
                    "frame_step " + step + " and frame_length " + length + " give no frame of a signal of " + shape[1]);
        }
        // Frames laid out [b, f, c, j] so each row is [re(0..L), im(0..L)].
        long[] out = {batch, frames, components, length};
        long[] idx = SelectionConverters.mapEach(
                out, (coord, unused) -> (coord[0] * shape[1] + coord[1] * step + coord[3]) * components + coord[2]);
        Value framed = StaticSelection.select(c, signal, idx, out, "frames_", c.temp("frames"));
        if (window != null) {
            framed = c.emit("mul", List.of(framed, window), Map.of(), c.temp("windowed"));
        }
        Value rows = c.emit(
                "reshape",
                List.of(framed),
                Map.of("shape", StaticSelection.dims(batch, frames, components * length)),
                c.temp("rows"));
        Transform t = Transform.full(length, length, (int) components, false, onesided);
        Value product =
                c.emit("matmul", List.of(rows, c.constant("transform", t.matrix.toWeight())), Map.of(), c.temp("dft"));
        Value split = c.emit(
                "reshape",
                List.of(product),
                Map.of("shape", StaticSelection.dims(batch, frames, 2, t.bins)),
                c.temp("split"));
        c.produce("transpose", List.of(split), Map.of("perm", Attr.ints(0, 1, 3, 2)));
    }

    /** A transform matrix {@code [components·in, outComponents·bins]}. */
    private record Transform(HostTensor matrix, long bins, long outComponents) {
        /** Forward or inverse DFT of length n over {@code in} input samples (zero-padded or truncated to n). */
        static Transform full(long in, long n, int components, boolean inverse, boolean onesided) {
            long bins = onesided ? n / 2 + 1 : n;
            HostTensor m = HostTensor.zeros(DType.F32, new long[] {components * in, 2 * bins});
            double sign = inverse ? 1 : -1;
            double scale = inverse ? 1.0 / n : 1;
            for (long k = 0; k < bins; k++) {
                for (long s = 0; s < Math.min(in, n); s++) {
                    double theta = sign * 2 * Math.PI * ((k * s) % n) / n;
                    double cos = Math.cos(theta) * scale;
                    double sin = Math.sin(theta) * scale;
                    // (re + i·im)(cos + i·sin) = (re·cos - im·sin) + i(re·sin + im·cos)
                    m.setDouble(s * 2 * bins + k, cos);
                    m.setDouble(s * 2 * bins + bins + k, sin);
                    if (components == 2) {
                        m.setDouble((in + s) * 2 * bins + k, -sin);
                        m.setDouble((in + s) * 2 * bins + bins + k, cos);
                    }
                }
            }
            return new Transform(m, bins, 2);
        }

        /**
         * Real inverse of a onesided spectrum of {@code in} bins to n samples: bin k ≥ in stands for
         * the conjugate of bin n - k.
         */
        static Transform inverseOnesided(long in, long n, int components) {
            HostTensor m = HostTensor.zeros(DType.F32, new long[] {components * in, n});
            for (long k = 0; k < n; k++) {
                boolean mirrored = k >= in;
                long j = mirrored ? n - k : k;
                if (j >= in) {
                    continue;
                }
                for (long s = 0; s < n; s++) {
                    double theta = 2 * Math.PI * ((k * s) % n) / n;
                    add(m, j * n + s, Math.cos(theta) / n);
                    if (components == 2) {
                        add(m, (in + j) * n + s, (mirrored ? 1 : -1) * Math.sin(theta) / n);
                    }
                }
            }
            return new Transform(m, n, 1);
        }

        private static void add(HostTensor m, long at, double v) {
            m.setDouble(at, m.getDouble(at) + v);
        }
    }

    private static long[] append(long[] a, long v) {
        long[] r = Arrays.copyOf(a, a.length + 1);
        r[a.length] = v;
        return r;
    }
}
