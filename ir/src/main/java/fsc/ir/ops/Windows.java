package fsc.ir.ops;

import fsc.ir.Attr;
import fsc.ir.Dim;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;

/**
 * The sliding-window geometry shared by {@code conv} and the pooling ops, from ONNX's attributes
 * ({@code strides}, {@code dilations}, {@code pads} as all begins then all ends, {@code auto_pad},
 * {@code ceil_mode}). Shape rules and the interpreter both use it, so they cannot disagree.
 *
 * @param out output size per spatial axis
 */
public record Windows(long[] kernel, long[] strides, long[] dilations, long[] padsBegin, long[] padsEnd, long[] out) {

    /**
     * Resolves the geometry for spatial input sizes {@code in} and kernel sizes {@code kernel}.
     *
     * @throws IllegalArgumentException with a readable reason when the attributes do not fit
     */
    public static Windows resolve(String op, SortedMap<String, Attr> attrs, long[] in, long[] kernel) {
        int k = in.length;
        long[] strides = ints(attrs, "strides", k, 1);
        long[] dilations = ints(attrs, "dilations", k, 1);
        long[] pads = ints(attrs, "pads", 2 * k, 0);
        if (strides == null || dilations == null || pads == null) {
            throw new IllegalArgumentException(
                    "strides, dilations and pads must have " + k + ", " + k + " and " + 2 * k + " entries");
        }
        String autoPad = ((Attr.Str) Ops.attrOrDefault(op, attrs, "auto_pad")).value();
        boolean ceil = ((Attr.Int) Ops.attrOrDefault(op, attrs, "ceil_mode")).value() != 0;
        long[] begin = Arrays.copyOfRange(pads, 0, k);
        long[] end = Arrays.copyOfRange(pads, k, 2 * k);
        long[] out = new long[k];
        for (int i = 0; i < k; i++) {
            if (strides[i] < 1 || dilations[i] < 1 || kernel[i] < 1) {
                throw new IllegalArgumentException("strides, dilations and kernel sizes must be positive");
            }
            long span = (kernel[i] - 1) * dilations[i] + 1;
            switch (autoPad) {
                case "NOTSET" -> {}
                case "VALID" -> {
                    begin[i] = 0;
                    end[i] = 0;
                }
                case "SAME_UPPER", "SAME_LOWER" -> {
                    long target = Math.ceilDiv(in[i], strides[i]);
                    long total = Math.max(0, (target - 1) * strides[i] + span - in[i]);
                    long small = total / 2;
                    begin[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
                    end[i] = total - begin[i];
                }
                default -> throw new IllegalArgumentException("unknown auto_pad \"" + autoPad + "\"");
            }
            long room = in[i] + begin[i] + end[i] - span;
            if (room < 0) {
                throw new IllegalArgumentException(
                        "window of " + span + " does not fit input " + in[i] + " with pads " + begin[i] + "+" + end[i]);
            }
            out[i] = (ceil ? Math.ceilDiv(room, strides[i]) : room / strides[i]) + 1;
            // As in PyTorch and ONNX's reference: with ceil_mode the last window must start inside
            // the input or its leading pad, never wholly in the trailing pad.
            if (ceil && (out[i] - 1) * strides[i] >= in[i] + begin[i]) {
                out[i]--;
            }
        }
        return new Windows(kernel.clone(), strides, dilations, begin, end, out);
    }

    /**
     * The output sizes for spatial sizes that may be symbolic: {@code floor((in + pads - span) /
     * stride) + 1} per axis ({@link Dim#floorDiv}), the same formula {@link #resolve} applies to
     * numbers. Pads must not depend on the size, so {@code SAME_*} padding takes stride 1 on a
     * symbolic axis, and {@code ceil_mode} (whose last window is dropped by a size test) takes fixed
     * sizes.
     *
     * @throws IllegalArgumentException with a readable reason when the attributes do not fit
     */
    public static List<Dim> outDims(String op, SortedMap<String, Attr> attrs, List<Dim> in, long[] kernel) {
        int k = in.size();
        long[] probe = new long[k];
        for (int i = 0; i < k; i++) {
            // A size no window outgrows stands for a symbolic one; only the pads come from it.
            probe[i] = in.get(i).isFixed() ? in.get(i).value() : 1L << 20;
        }
        Windows w = resolve(op, attrs, probe, kernel);
        String autoPad = ((Attr.Str) Ops.attrOrDefault(op, attrs, "auto_pad")).value();
        boolean ceil = ((Attr.Int) Ops.attrOrDefault(op, attrs, "ceil_mode")).value() != 0;
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            Dim d = in.get(i);
            if (d.isFixed()) {
                out.add(Dim.of(w.out()[i]));
                continue;
            }
            if (ceil) {
                throw new IllegalArgumentException("ceil_mode needs fixed spatial sizes, got " + d);
            }
            if (autoPad.startsWith("SAME") && w.strides()[i] != 1) {
                throw new IllegalArgumentException("auto_pad " + autoPad + " with stride " + w.strides()[i]
                        + " needs fixed spatial sizes, got " + d);
            }
            long span = (kernel[i] - 1) * w.dilations()[i] + 1;
            Dim room = d.plus(Dim.of(w.padsBegin()[i] + w.padsEnd()[i] - span));
            out.add(room.floorDiv(w.strides()[i]).plus(Dim.of(1)));
        }
        return out;
    }

    private static long[] ints(SortedMap<String, Attr> attrs, String name, int n, long dflt) {
        if (attrs.get(name) instanceof Attr.Ints v) {
            return v.values().size() == n ? v.toArray() : null;
        }
        long[] out = new long[n];
        Arrays.fill(out, dflt);
        return out;
    }
}
