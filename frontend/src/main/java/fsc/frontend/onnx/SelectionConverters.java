package fsc.frontend.onnx;

import static fsc.frontend.onnx.StaticSelection.ZERO;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.interp.HostTensor;
import java.util.List;

/**
 * ONNX ops that select input elements in a pattern known at compile time, lowered through {@link
 * StaticSelection}: Compress (the condition fixes the output shape, so it must be known),
 * ReverseSequence (the sequence lengths must be known) and CenterCropPad (the target shape must be
 * known). Each maps every output position to an input position or to zero.
 */
final class SelectionConverters {
    private SelectionConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("Compress", 11, SelectionConverters::compress));
        rules.add(new Rule("ReverseSequence", 10, SelectionConverters::reverseSequence));
        rules.add(new Rule("CenterCropPad", 18, SelectionConverters::centerCropPad));
    }

    /** Keeps the slices (or, without {@code axis}, the flattened elements) whose condition is true. */
    private static void compress(NodeContext c) {
        long[] shape = StaticSelection.fixedShape(c, c.input(0));
        HostTensor cond = KnownOperands.tensor(c, 1, "the condition");
        if (cond.rank() != 1) {
            throw c.fail("condition must be 1-D, got shape " + java.util.Arrays.toString(cond.shape()));
        }
        boolean flatten = c.attrs.intValue("axis").isEmpty();
        long[] view = flatten ? new long[] {StaticSelection.count(shape)} : shape;
        int axis = flatten ? 0 : axis(c, c.attrs.intValue("axis").get(), view.length);
        long len = Math.min(cond.size(), view[axis]);
        long[] kept = java.util.stream.LongStream.range(0, len)
                .filter(i -> cond.getLong(i) != 0)
                .toArray();
        long[] out = view.clone();
        out[axis] = kept.length;
        long[] inStrides = StaticSelection.strides(view);
        long[] idx = mapEach(out, (coord, unused) -> {
            long at = 0;
            for (int d = 0; d < coord.length; d++) {
                at += (d == axis ? kept[(int) coord[d]] : coord[d]) * inStrides[d];
            }
            return at;
        });
        StaticSelection.produce(c, c.input(0), idx, out);
    }

    /** Reverses the first {@code sequence_lens[b]} steps along {@code time_axis} of each batch entry b. */
    private static void reverseSequence(NodeContext c) {
        long[] shape = StaticSelection.fixedShape(c, c.input(0));
        HostTensor lens = KnownOperands.tensor(c, 1, "sequence_lens");
        int batch = axis(c, c.attrs.intValue("batch_axis", 1), shape.length);
        int time = axis(c, c.attrs.intValue("time_axis", 0), shape.length);
        if (batch == time || lens.size() != shape[batch]) {
            throw c.fail("needs distinct batch and time axes and one length per batch entry, got batch_axis " + batch
                    + ", time_axis " + time + ", " + lens.size() + " lengths");
        }
        long[] strides = StaticSelection.strides(shape);
        long[] idx = mapEach(shape, (coord, flat) -> {
            long n = lens.getLong(coord[batch]);
            if (n < 0 || n > shape[time]) {
                throw c.fail("sequence length " + n + " is out of range [0, " + shape[time] + "]");
            }
            long t = coord[time];
            return t < n ? flat + (n - 1 - 2 * t) * strides[time] : flat;
        });
        StaticSelection.produce(c, c.input(0), idx, shape);
    }

    /** Crops (centred, extra element at the end) or zero-pads (extra at the end) each listed axis to the target. */
    private static void centerCropPad(NodeContext c) {
        long[] shape = StaticSelection.fixedShape(c, c.input(0));
        HostTensor target = KnownOperands.tensor(c, 1, "the target shape");
        long[] axes = c.attrs.ints("axes").orElseGet(() -> java.util.stream.LongStream.range(0, shape.length)
                .toArray());
        if (target.size() != axes.length) {
            throw c.fail("needs one target size per axis, got " + target.size() + " for " + axes.length + " axes");
        }
        long[] out = shape.clone();
        long[] offset = new long[shape.length];
        for (int k = 0; k < axes.length; k++) {
            int a = axis(c, axes[k], shape.length);
            long want = target.getLong(k);
            out[a] = want;
            // ONNX reference: crop starts at (d - s) // 2; padding puts (s - d) // 2 zeros in front.
            offset[a] = want <= shape[a] ? (shape[a] - want) / 2 : -((want - shape[a]) / 2);
        }
        long[] strides = StaticSelection.strides(shape);
        long[] idx = mapEach(out, (coord, unused) -> {
            long at = 0;
            for (int d = 0; d < coord.length; d++) {
                long i = coord[d] + offset[d];
                if (i < 0 || i >= shape[d]) {
                    return ZERO;
                }
                at += i * strides[d];
            }
            return at;
        });
        StaticSelection.produce(c, c.input(0), idx, out);
    }

    /** Computes one input index per output position, visiting {@code shape} in row-major order. */
    interface IndexRule {
        long at(long[] coord, long flat);
    }

    static long[] mapEach(long[] shape, IndexRule rule) {
        int n = Math.toIntExact(StaticSelection.count(shape));
        long[] result = new long[n];
        long[] coord = new long[shape.length];
        for (int i = 0; i < n; i++) {
            result[i] = rule.at(coord, i);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++coord[d] < shape[d]) {
                    break;
                }
                coord[d] = 0;
            }
        }
        return result;
    }

    static int axis(NodeContext c, long a, int rank) {
        if (a < -rank || a >= rank) {
            throw c.fail("axis " + a + " is out of range for rank " + rank);
        }
        return (int) (a < 0 ? a + rank : a);
    }
}
