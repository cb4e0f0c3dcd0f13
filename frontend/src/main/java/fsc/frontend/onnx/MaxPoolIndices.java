package fsc.frontend.onnx;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * MaxPool with its Indices output. The values are a plain {@code max_pool}; the indices come from the
 * windows unfolded by a {@code conv} with one one-hot kernel per window position ({@code [K, 1, k...]}):
 * the same unfolding of a ramp gives every window element's flat input position, of a ones tensor
 * which elements are padding. The first maximum of each window ({@code argmax}) then picks its
 * position. Positions are small integers, exact in f32.
 */
final class MaxPoolIndices {
    private MaxPoolIndices() {}

    static void convert(NodeContext c) {
        Value x = c.input(0);
        int rank = x.type().rank();
        int n = rank - 2;
        long[] xs = new long[rank];
        for (int i = 0; i < rank; i++) {
            if (!x.type().dim(i).isFixed()) {
                throw c.fail("the Indices output needs static shapes, got " + x.type());
            }
            xs[i] = x.type().dim(i).value();
        }
        if (n < 1
                || x.dtype() != DType.F32
                || !c.attrs.string("auto_pad").orElse("NOTSET").equals("NOTSET")) {
            throw c.fail("the Indices output needs f32 [N, C, spatial...] input and explicit pads, got " + x.type());
        }
        long storageOrder = c.attrs.intValue("storage_order", 0);
        if (storageOrder != 0 && n != 2) {
            throw c.fail("column-major Indices (storage_order = 1) are defined for 2-D pooling only");
        }
        long[] k = c.attrs.ints("kernel_shape").orElseThrow(() -> c.fail("kernel_shape is required"));
        long[] strides = c.attrs.ints("strides").orElse(filled(n, 1));
        long[] dil = c.attrs.ints("dilations").orElse(filled(n, 1));
        long[] pads = c.attrs.ints("pads").orElse(filled(2 * n, 0)).clone();
        Map<String, Attr> poolAttrs = new TreeMap<>();
        poolAttrs.put("kernel_shape", Attr.ints(k));
        poolAttrs.put("strides", Attr.ints(strides));
        poolAttrs.put("dilations", Attr.ints(dil));
        poolAttrs.put("pads", Attr.ints(pads));
        poolAttrs.put("ceil_mode", new Attr.Int(c.attrs.intValue("ceil_mode", 0)));
        Value y = c.emit("max_pool", List.of(x), poolAttrs, c.outputName(0));
        c.define(0, y);
        // ceil_mode may add a last window; extra end padding makes the unfolding produce it too.
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = y.type().dim(2 + i).value();
            long kEff = (k[i] - 1) * dil[i] + 1;
            long reach = (out[i] - 1) * strides[i] + kEff;
            long have = xs[2 + i] + pads[i] + pads[i + n];
            pads[i + n] += Math.max(0, reach - have);
        }
        long windowSize = product(k, 0, n);
        long planeSize = product(xs, 2, rank);
        Value unfold = unfoldKernel(c, k, windowSize);
        Map<String, Attr> convAttrs = new TreeMap<>();
        convAttrs.put("strides", Attr.ints(strides));
        convAttrs.put("dilations", Attr.ints(dil));
        convAttrs.put("pads", Attr.ints(pads));
        List<Dim> planes = new ArrayList<>(List.of(Dim.of(xs[0] * xs[1]), Dim.of(1)));
        List<Long> plane = new ArrayList<>(List.of(1L, 1L));
        for (int i = 2; i < rank; i++) {
            planes.add(Dim.of(xs[i]));
            plane.add(xs[i]);
        }
        Value xr = c.emit("reshape", List.of(x), Map.of("shape", new Attr.Dims(planes)), c.temp("planes"));
        Value windows = c.emit("conv", List.of(xr, unfold), convAttrs, c.temp("windows"));
        float[] ones = new float[(int) planeSize];
        float[] positions = new float[(int) planeSize];
        for (int p = 0; p < planeSize; p++) {
            ones[p] = 1f;
            // Row-major flat index, or column-major (w · H + h) for storage_order = 1.
            positions[p] = storageOrder == 0 ? p : (p % xs[3]) * xs[2] + p / xs[3];
        }
        Value inside = c.emit("conv", List.of(floats(c, "ones", plane, ones), unfold), convAttrs, c.temp("inside"));
        Value where =
                c.emit("conv", List.of(floats(c, "positions", plane, positions), unfold), convAttrs, c.temp("where"));
        Value isInside = c.emit(
                "greater",
                List.of(inside, ActivationConverters.scalar(c, "half", DType.F32, 0.5)),
                Map.of(),
                c.temp("is_inside"));
        Value masked = c.emit(
                "where",
                List.of(
                        isInside,
                        windows,
                        ActivationConverters.scalar(c, "lowest", DType.F32, Double.NEGATIVE_INFINITY)),
                Map.of(),
                c.temp("masked"));
        Map<String, Attr> argmax = new TreeMap<>();
        argmax.put("axis", new Attr.Int(1));
        argmax.put("keepdims", new Attr.Int(1));
        argmax.put("select_last_index", new Attr.Int(0));
        Value best = c.emit("argmax", List.of(masked), argmax, c.temp("best"));
        List<Long> rampShape = new ArrayList<>(List.of(1L, windowSize));
        float[] ramp = new float[(int) windowSize];
        for (int j = 0; j < windowSize; j++) {
            ramp[j] = j;
        }
        for (int i = 0; i < n; i++) {
            rampShape.add(1L);
        }
        Value bestF = c.emit("cast", List.of(best), Map.of("to", new Attr.Type(DType.F32)), c.temp("best_f32"));
        Value pick = c.emit("equal", List.of(bestF, floats(c, "slots", rampShape, ramp)), Map.of(), c.temp("pick"));
        Value picked = c.emit(
                "where",
                List.of(pick, where, ActivationConverters.scalar(c, "zero", DType.F32, 0)),
                Map.of(),
                c.temp("picked"));
        Value flat = c.emit(
                "reduce_sum",
                List.of(picked),
                Map.of("axes", Attr.ints(1), "keepdims", new Attr.Int(0)),
                c.temp("position"));
        Value flatI = c.emit("cast", List.of(flat), Map.of("to", new Attr.Type(DType.I64)), c.temp("position_i64"));
        List<Long> offsetShape = new ArrayList<>(List.of(xs[0] * xs[1]));
        for (int i = 0; i < n; i++) {
            offsetShape.add(1L);
        }
        ByteBuffer b = ByteBuffer.allocate((int) (xs[0] * xs[1]) * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long p = 0; p < xs[0] * xs[1]; p++) {
            b.putLong(p * planeSize);
        }
        Value offsets = c.constant("plane_offset", new WeightData(DType.I64, offsetShape, b.flip()));
        Value indices = c.emit("add", List.of(flatI, offsets), Map.of(), c.temp("indices_flat"));
        List<Dim> outDims = new ArrayList<>(List.of(Dim.of(xs[0]), Dim.of(xs[1])));
        for (long o : out) {
            outDims.add(Dim.of(o));
        }
        c.define(1, c.emit("reshape", List.of(indices), Map.of("shape", new Attr.Dims(outDims)), c.outputName(1)));
    }

    /** {@code [K, 1, k...]}: kernel j is 1 at window position j (row-major) and 0 elsewhere. */
    private static Value unfoldKernel(NodeContext c, long[] k, long windowSize) {
        List<Long> shape = new ArrayList<>(List.of(windowSize, 1L));
        for (long v : k) {
            shape.add(v);
        }
        float[] w = new float[(int) (windowSize * windowSize)];
        for (int j = 0; j < windowSize; j++) {
            w[(int) (j * windowSize + j)] = 1f;
        }
        return floats(c, "unfold", shape, w);
    }

    private static Value floats(NodeContext c, String tag, List<Long> shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return c.constant(tag, new WeightData(DType.F32, new ArrayList<>(shape), b.flip()));
    }

    private static long product(long[] dims, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    private static long[] filled(int n, long v) {
        long[] out = new long[n];
        java.util.Arrays.fill(out, v);
        return out;
    }
}
