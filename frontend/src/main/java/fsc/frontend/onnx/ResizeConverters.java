package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Resize (opsets 10, 11, 13, 18, 19) and Upsample as one matrix product per resized axis: the
 * interpolation weights depend only on sizes and attributes, so they are computed here
 * ({@link Interpolation}) and the graph multiplies by them ({@code transpose → matmul → add →
 * transpose}). Every mode (nearest, linear, cubic, antialias, tf_crop_and_resize) becomes the same
 * three IR ops. Scales, sizes and roi must be known at compile time (constants or bound inputs).
 * Where every table is a whole-factor repeat (nearest upsampling by 2, a detector's feature pyramid)
 * the resize is instead one {@code unsqueeze → expand → reshape} copy: the one-hot matrix products
 * cost ~7× ORT's resize in the PP-OCRv4 detector.
 */
final class ResizeConverters {
    private ResizeConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("Resize", 10, ResizeConverters::resize));
        // Upsample-9 takes scales as an operand, like Resize-10 (asymmetric coordinates, floor).
        rules.add(new Rule("Upsample", 9, ResizeConverters::upsample));
    }

    private static void upsample(NodeContext c) {
        Value x = c.input(0);
        double[] scales = floats(c, c.input(1), "scales");
        String mode = c.attrs.string("mode").orElse("nearest");
        Interpolation.Mode m = new Interpolation.Mode(
                mode.equals("bilinear") ? "linear" : mode, "asymmetric", "floor", -0.75, false, 0, false);
        apply(c, x, m, allAxes(x), scales, null, null);
    }

    private static void resize(NodeContext c) {
        Value x = c.input(0);
        int rank = x.type().rank();
        boolean v10 = c.opset < 11;
        String coordinates = v10
                ? "asymmetric"
                : c.attrs.string("coordinate_transformation_mode").orElse("half_pixel");
        Interpolation.Mode mode = new Interpolation.Mode(
                c.attrs.string("mode").orElse("nearest"),
                coordinates,
                v10 ? "floor" : c.attrs.string("nearest_mode").orElse("round_prefer_floor"),
                c.attrs.floatValue("cubic_coeff_a").orElse(-0.75),
                c.attrs.intValue("exclude_outside", 0) != 0,
                c.attrs.floatValue("extrapolation_value").orElse(0.0),
                c.attrs.intValue("antialias", 0) != 0);
        int[] axes = c.attrs.ints("axes").map(a -> normalise(c, a, rank)).orElse(allAxes(x));
        if (v10) {
            apply(c, x, mode, axes, floats(c, c.input(1), "scales"), null, null);
            return;
        }
        double[] roi = given(c, 1) ? floats(c, c.input(1), "roi") : null;
        double[] scales = given(c, 2) ? floats(c, c.input(2), "scales") : null;
        long[] sizes = given(c, 3) ? longs(c, c.input(3), "sizes") : null;
        if ((scales == null) == (sizes == null)) {
            throw c.fail("needs exactly one of scales and sizes");
        }
        apply(c, x, mode, axes, scales, sizes, roi);
    }

    /**
     * Nearest-neighbour upsampling by whole factors over symbolic sizes (a detector's feature pyramid):
     * with asymmetric coordinates and {@code floor}, output {@code o} reads input {@code floor(o / s)},
     * so each element is repeated {@code s} times. Other modes need fixed sizes.
     */
    private static void repeatSymbolic(
            NodeContext c, Value x, Interpolation.Mode mode, int[] axes, double[] scales, double[] roi) {
        boolean repeat = scales != null
                && mode.mode().equals("nearest")
                && mode.coordinates().equals("asymmetric")
                && mode.nearest().equals("floor")
                && !mode.antialias();
        long[] factor = new long[axes.length];
        for (int j = 0; repeat && j < axes.length; j++) {
            factor[j] = (long) scales[j];
            repeat = factor[j] >= 1 && factor[j] == scales[j];
        }
        if (!repeat) {
            throw c.fail("resizes symbolic sizes only by whole factors in nearest mode with asymmetric"
                    + " coordinates and floor rounding, got " + x.type() + " (mode " + mode.mode() + ", "
                    + mode.coordinates() + ", " + mode.nearest() + ", scales " + Arrays.toString(scales) + ")");
        }
        c.produce("identity", List.of(repeat(c, x, axes, factor)), Map.of());
    }

    /**
     * Every element repeated {@code factor[j]} times along {@code axes[j]}: {@code unsqueeze} a unit
     * axis after each resized one, {@code expand} the unit axes to the factors, {@code reshape} each
     * pair back into one axis. One copy for all axes (the backend's expand moves an element-repeating
     * inner axis with vectors), where the general lowering below is a matrix product and two
     * transposes per axis.
     */
    private static Value repeat(NodeContext c, Value x, int[] axes, long[] factor) {
        int[] order = IntStream.range(0, axes.length)
                .boxed()
                .sorted((p, q) -> Integer.compare(axes[p], axes[q]))
                .mapToInt(Integer::intValue)
                .toArray();
        List<Dim> d = x.type().dims();
        List<Long> unitAxes = new ArrayList<>();
        List<Dim> wide = new ArrayList<>();
        List<Dim> merged = new ArrayList<>(d);
        int next = 0;
        for (int a = 0; a < d.size(); a++) {
            wide.add(d.get(a));
            long f = next < order.length && axes[order[next]] == a ? factor[order[next++]] : 1;
            if (f > 1) {
                // ONNX Unsqueeze numbers the new axes in the output: after axis a, with the units
                // already inserted before it.
                unitAxes.add((long) wide.size());
                wide.add(Dim.of(f));
                merged.set(a, d.get(a).times(Dim.of(f)));
            }
        }
        if (unitAxes.isEmpty()) {
            return x;
        }
        long[] units = unitAxes.stream().mapToLong(Long::longValue).toArray();
        Value u = c.emit("unsqueeze", List.of(x), Map.of("axes", Attr.ints(units)), c.temp("repeat_axes"));
        Value e = c.emit("expand", List.of(u), Map.of("shape", new Attr.Dims(wide)), c.temp("repeated"));
        return c.emit("reshape", List.of(e), Map.of("shape", new Attr.Dims(merged)), c.temp("upsampled"));
    }

    /**
     * The whole factor {@code out / in} when the table maps output {@code o} to input {@code o / factor}
     * with weight 1 and no extrapolation (nearest modes with a whole scale, such as asymmetric/floor
     * or half_pixel/round_prefer_floor by 2), else 0.
     */
    private static long repeatFactor(Interpolation t) {
        int out = t.m().length;
        int in = t.m()[0].length;
        if (out % in != 0 || Arrays.stream(t.offset()).anyMatch(v -> v != 0)) {
            return 0;
        }
        int f = out / in;
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                if (t.m()[o][i] != (i == o / f ? 1 : 0)) {
                    return 0;
                }
            }
        }
        return f;
    }

    /** An optional operand that is present and not an empty tensor (ONNX's "not given"). */
    private static boolean given(NodeContext c, int i) {
        return c.hasInput(i) && c.input(i).type().dims().stream().noneMatch(d -> d.isFixed() && d.value() == 0);
    }

    private static void apply(
            NodeContext c, Value x, Interpolation.Mode mode, int[] axes, double[] scales, long[] sizes, double[] roi) {
        if (x.dtype() != DType.F32) {
            throw c.fail("resizes f32 tensors only, got " + x.type());
        }
        int rank = x.type().rank();
        if (x.type().dims().stream().anyMatch(d -> !d.isFixed())) {
            repeatSymbolic(c, x, mode, axes, scales, roi);
            return;
        }
        long[] in = new long[rank];
        for (int i = 0; i < rank; i++) {
            in[i] = x.type().dim(i).value();
        }
        int k = axes.length;
        double[] scale = new double[k];
        long[] out = new long[k];
        if (sizes != null) {
            if (sizes.length != k) {
                throw c.fail("sizes has " + sizes.length + " entries for " + k + " axes");
            }
            String policy = c.attrs.string("keep_aspect_ratio_policy").orElse("stretch");
            for (int j = 0; j < k; j++) {
                scale[j] = (double) sizes[j] / in[axes[j]];
                out[j] = sizes[j];
            }
            if (!policy.equals("stretch")) {
                double s = policy.equals("not_larger")
                        ? Arrays.stream(scale).min().orElseThrow()
                        : Arrays.stream(scale).max().orElseThrow();
                for (int j = 0; j < k; j++) {
                    scale[j] = s;
                    out[j] = (long) (s * in[axes[j]] + 0.5);
                }
            }
        } else {
            if (scales.length != k) {
                throw c.fail("scales has " + scales.length + " entries for " + k + " axes");
            }
            for (int j = 0; j < k; j++) {
                scale[j] = scales[j];
                out[j] = (long) Math.floor(in[axes[j]] * scales[j]);
            }
        }
        Interpolation[] tables = new Interpolation[k];
        long[] factor = new long[k];
        boolean repeats = true;
        for (int j = 0; j < k; j++) {
            double start = roi == null ? 0 : roi[j];
            double end = roi == null ? 1 : roi[j + k];
            try {
                tables[j] = Interpolation.of(mode, (int) in[axes[j]], (int) out[j], scale[j], start, end);
            } catch (IllegalArgumentException e) {
                throw c.fail(e.getMessage());
            }
            factor[j] = repeatFactor(tables[j]);
            repeats &= factor[j] > 0;
        }
        if (repeats) {
            c.produce("identity", List.of(repeat(c, x, axes, factor)), Map.of());
            return;
        }
        // Innermost axis first, as ONNX's reference nests its one-dimensional interpolations.
        Value cur = x;
        List<Integer> order = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            order.add(j);
        }
        order.sort((p, q) -> Integer.compare(axes[q], axes[p]));
        for (int j : order) {
            if (tables[j].isIdentity()) {
                continue;
            }
            cur = alongAxis(c, cur, axes[j], tables[j], "axis" + axes[j]);
        }
        c.produce("identity", List.of(cur), Map.of());
    }

    /** {@code transpose(matmul(transpose(x), mᵀ) + offset)} with the axis moved last and back. */
    private static Value alongAxis(NodeContext c, Value x, int axis, Interpolation t, String tag) {
        int rank = x.type().rank();
        long[] perm = new long[rank];
        for (int i = 0, p = 0; i < rank; i++) {
            if (i != axis) {
                perm[p++] = i;
            }
        }
        perm[rank - 1] = axis;
        boolean move = axis != rank - 1;
        Value v = move ? c.emit("transpose", List.of(x), Map.of("perm", Attr.ints(perm)), c.temp(tag + "_in")) : x;
        int out = t.m().length;
        int in = t.m()[0].length;
        ByteBuffer w = ByteBuffer.allocate(in * out * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                w.putFloat((float) t.m()[o][i]);
            }
        }
        Value weights =
                c.constant(tag + "_weights", new WeightData(DType.F32, List.of((long) in, (long) out), w.flip()));
        v = c.emit("matmul", List.of(v, weights), Map.of(), c.temp(tag + "_mm"));
        if (Arrays.stream(t.offset()).anyMatch(d -> d != 0)) {
            ByteBuffer b = ByteBuffer.allocate(out * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (double d : t.offset()) {
                b.putFloat((float) d);
            }
            Value bias = c.constant(tag + "_extrapolation", new WeightData(DType.F32, List.of((long) out), b.flip()));
            v = c.emit("add", List.of(v, bias), Map.of(), c.temp(tag + "_extrapolated"));
        }
        if (!move) {
            return v;
        }
        long[] back = new long[rank];
        for (int i = 0; i < rank; i++) {
            back[(int) perm[i]] = i;
        }
        return c.emit("transpose", List.of(v), Map.of("perm", Attr.ints(back)), c.temp(tag + "_out"));
    }

    private static int[] allAxes(Value x) {
        int[] a = new int[x.type().rank()];
        Arrays.setAll(a, i -> i);
        return a;
    }

    private static int[] normalise(NodeContext c, long[] axes, int rank) {
        int[] a = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            long v = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (v < 0 || v >= rank) {
                throw c.fail("axis " + axes[i] + " is out of range for rank " + rank);
            }
            a[i] = (int) v;
        }
        return a;
    }

    private static WeightData known(NodeContext c, Value v, String role) {
        return c.requiredData(v)
                .orElseThrow(() -> new FscException(
                        c.where + ": " + role + " ('" + v.name() + "') must be known at compile time",
                        "bind it with --bind " + v.name() + "=FILE"));
    }

    private static double[] floats(NodeContext c, Value v, String role) {
        WeightData w = known(c, v, role);
        ByteBuffer b = w.view().order(ByteOrder.LITTLE_ENDIAN);
        double[] out = new double[(int) w.elementCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (w.dtype()) {
                case F32 -> b.getFloat(i * 4);
                case F64 -> b.getDouble(i * 8);
                default -> throw c.fail(role + " must be f32 or f64, got " + w.type());
            };
        }
        return out;
    }

    private static long[] longs(NodeContext c, Value v, String role) {
        WeightData w = known(c, v, role);
        ByteBuffer b = w.view().order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[(int) w.elementCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (w.dtype()) {
                case I64 -> b.getLong(i * 8);
                case I32 -> b.getInt(i * 4);
                default -> throw c.fail(role + " must be i64, got " + w.type());
            };
        }
        return out;
    }
}
