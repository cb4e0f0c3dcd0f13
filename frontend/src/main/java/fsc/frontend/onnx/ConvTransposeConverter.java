package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
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
 * ConvTranspose as the {@code conv} it is the gradient of: the input is zero-stuffed (stride − 1
 * zeros between neighbours), padded by {@code k_eff − 1 − pad} on each side (plus output_padding at
 * the end), and convolved at stride 1 with the kernel flipped in space and its channel axes swapped
 * per group. Padding beyond the kernel's reach (a negative conv pad) is cropped from the conv output.
 */
final class ConvTransposeConverter {
    private ConvTransposeConverter() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("ConvTranspose", 1, ConvTransposeConverter::convTranspose));
    }

    private static void convTranspose(NodeContext c) {
        Value x = c.input(0);
        Value w = c.input(1);
        int rank = x.type().rank();
        int n = rank - 2;
        if (n < 1 || w.type().rank() != rank || x.dtype() != DType.F32) {
            throw c.fail("needs f32 [N, C, spatial...] input and a weight of the same rank, got " + x.type() + " and "
                    + w.type());
        }
        long[] ws = fixed(c, w);
        List<Dim> xd = x.type().dims();
        long group = c.attrs.intValue("group", 1);
        long[] k = c.attrs.ints("kernel_shape").orElse(java.util.Arrays.copyOfRange(ws, 2, rank));
        long[] stride = c.attrs.ints("strides").orElse(filled(n, 1));
        long[] dil = c.attrs.ints("dilations").orElse(filled(n, 1));
        long[] outPad = c.attrs.ints("output_padding").orElse(filled(n, 0));
        long[] pads = c.attrs.ints("pads").orElse(filled(2 * n, 0));
        String autoPad = c.attrs.string("auto_pad").orElse("NOTSET");
        long[] outShape = c.attrs.ints("output_shape").orElse(null);
        if (outShape != null || autoPad.startsWith("SAME")) {
            if (outShape != null) {
                fixed(c, x); // output_shape's pads depend on the input size
            }
            pads = new long[2 * n];
            for (int i = 0; i < n; i++) {
                long kEff = (k[i] - 1) * dil[i] + 1;
                // SAME: the total pad, stride*(in-1) + outPad + kEff - in*stride, does not depend on in.
                long in = xd.get(2 + i).isFixed() ? xd.get(2 + i).value() : 1L << 20;
                long target = outShape != null ? outShape[outShape.length - n + i] : in * stride[i];
                // Negative when output_shape asks for more than the input reaches: the extra is zero
                // padding. Halves round down, as in ONNX's reference implementation.
                long total = stride[i] * (in - 1) + outPad[i] + kEff - target;
                long half = Math.floorDiv(total, 2);
                boolean upper = autoPad.equals("SAME_UPPER");
                pads[i] = upper ? half : total - half;
                pads[i + n] = upper ? total - half : half;
            }
        }
        if (isPatchUpsample(group, k, stride, dil, pads, outPad)) {
            patchUpsample(c, x, w, xd, ws, k);
            return;
        }
        long[] xs = fixed(c, x);
        Value up = x;
        for (int i = 0; i < n; i++) {
            if (stride[i] > 1) {
                up = stuff(c, up, 2 + i, stride[i]);
            }
        }
        long[] convPads = new long[2 * n];
        long[] crop = new long[2 * n];
        for (int i = 0; i < n; i++) {
            long kEff = (k[i] - 1) * dil[i] + 1;
            long begin = kEff - 1 - pads[i];
            long end = kEff - 1 - pads[i + n] + outPad[i];
            convPads[i] = Math.max(0, begin);
            convPads[i + n] = Math.max(0, end);
            crop[i] = Math.max(0, -begin);
            crop[i + n] = Math.max(0, -end);
        }
        List<Value> in = new ArrayList<>(List.of(up, kernel(c, w, ws, group)));
        if (c.hasInput(2)) {
            in.add(c.input(2));
        }
        Map<String, Attr> attrs = new TreeMap<>();
        attrs.put("strides", Attr.ints(filled(n, 1)));
        attrs.put("pads", Attr.ints(convPads));
        attrs.put("dilations", Attr.ints(dil));
        attrs.put("group", new Attr.Int(group));
        Value y = c.emit("conv", in, attrs, c.temp("conv"));
        boolean cropped = java.util.Arrays.stream(crop).anyMatch(v -> v > 0);
        if (!cropped) {
            c.define(0, c.emit("identity", List.of(y), Map.of(), c.outputName(0)));
            return;
        }
        List<Dim> starts = new ArrayList<>();
        List<Dim> ends = new ArrayList<>();
        long[] axes = new long[n];
        for (int i = 0; i < n; i++) {
            long len = y.type().dim(2 + i).value();
            starts.add(Dim.of(crop[i]));
            ends.add(Dim.of(len - crop[i + n]));
            axes[i] = 2 + i;
        }
        Map<String, Attr> slice = new TreeMap<>();
        slice.put("starts", new Attr.Dims(starts));
        slice.put("ends", new Attr.Dims(ends));
        slice.put("axes", Attr.ints(axes));
        slice.put("steps", Attr.ints(filled(n, 1)));
        c.define(0, c.emit("slice", List.of(y), slice, c.outputName(0)));
    }

    /**
     * Kernel equal to the stride, no dilation, pads or groups: the upsampling layer of segmentation
     * and detection heads (a 2x2 stride-2 ConvTranspose). Output patches do not overlap, so every
     * input pixel writes its own {@code k1×…×kn} patch and no zero is ever multiplied.
     */
    private static boolean isPatchUpsample(
            long group, long[] k, long[] stride, long[] dil, long[] pads, long[] outPad) {
        if (group != 1) {
            return false;
        }
        for (int i = 0; i < k.length; i++) {
            if (k[i] != stride[i] || dil[i] != 1 || outPad[i] != 0 || pads[i] != 0 || pads[i + k.length] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code y = depth_to_space(conv1x1(x, W')) + b}: one pointwise conv (a GEMM over the input as
     * it is) computes, for every input pixel, all {@code M·k1·…·kn} outputs of its patch, with
     * {@code W'[(m, a1…an), c] = W[c, m, a1…an]}; a reshape/transpose/reshape puts each patch in
     * place ({@code [N, M, a…, h…] → [N, M, h1, a1, …, hn, an]}), then the bias is added per channel.
     * The same sums as the zero-stuffed conv, without its {@code ∏k}-times larger, mostly-zero input.
     */
    private static void patchUpsample(NodeContext c, Value x, Value w, List<Dim> xs, long[] ws, long[] k) {
        int n = k.length;
        long taps = 1;
        for (long v : k) {
            taps *= v;
        }
        long m = ws[1];
        // [C, M, k...] -> [M, k..., C] -> [M·∏k, C, 1...]
        long[] wPerm = new long[n + 2];
        for (int i = 0; i < n + 1; i++) {
            wPerm[i] = i + 1;
        }
        wPerm[n + 1] = 0;
        Value wt = c.emit("transpose", List.of(w), Map.of("perm", Attr.ints(wPerm)), c.temp("w_patch"));
        List<Dim> wDims = new ArrayList<>(List.of(Dim.of(m * taps), Dim.of(ws[0])));
        for (int i = 0; i < n; i++) {
            wDims.add(Dim.of(1));
        }
        Value w1 = c.emit("reshape", List.of(wt), Map.of("shape", new Attr.Dims(wDims)), c.temp("w_pointwise"));
        Map<String, Attr> attrs = new TreeMap<>();
        attrs.put("strides", Attr.ints(filled(n, 1)));
        attrs.put("pads", Attr.ints(filled(2 * n, 0)));
        attrs.put("dilations", Attr.ints(filled(n, 1)));
        attrs.put("group", new Attr.Int(1));
        Value patches = c.emit("conv", List.of(x, w1), attrs, c.temp("patches"));
        // [N, M·∏k, h...] -> [N, M, k..., h...] -> [N, M, h1, k1, ..., hn, kn] -> [N, M, h1·k1, ...]
        List<Dim> split = new ArrayList<>(List.of(xs.get(0), Dim.of(m)));
        for (int i = 0; i < n; i++) {
            split.add(Dim.of(k[i]));
        }
        for (int i = 0; i < n; i++) {
            split.add(xs.get(2 + i));
        }
        Value sp = c.emit("reshape", List.of(patches), Map.of("shape", new Attr.Dims(split)), c.temp("patch_split"));
        long[] perm = new long[2 + 2 * n];
        perm[1] = 1;
        for (int i = 0; i < n; i++) {
            perm[2 + 2 * i] = 2 + n + i;
            perm[3 + 2 * i] = 2 + i;
        }
        Value placed = c.emit("transpose", List.of(sp), Map.of("perm", Attr.ints(perm)), c.temp("patch_placed"));
        List<Dim> out = new ArrayList<>(List.of(xs.get(0), Dim.of(m)));
        for (int i = 0; i < n; i++) {
            out.add(xs.get(2 + i).times(Dim.of(k[i])));
        }
        boolean bias = c.hasInput(2);
        Value y = c.emit(
                "reshape",
                List.of(placed),
                Map.of("shape", new Attr.Dims(out)),
                bias ? c.temp("upsampled") : c.outputName(0));
        if (bias) {
            List<Dim> bDims = new ArrayList<>(List.of(Dim.of(m)));
            for (int i = 0; i < n; i++) {
                bDims.add(Dim.of(1));
            }
            Value b = c.emit(
                    "reshape", List.of(c.input(2)), Map.of("shape", new Attr.Dims(bDims)), c.temp("bias_channels"));
            y = c.emit("add", List.of(y, b), Map.of(), c.outputName(0));
        }
        c.define(0, y);
    }

    /** Puts {@code s − 1} zeros between neighbours along {@code axis}: multiply by a one-hot, merge, trim. */
    private static Value stuff(NodeContext c, Value v, int axis, long s) {
        List<Dim> d = v.type().dims();
        long len = d.get(axis).value();
        Value u = c.emit("unsqueeze", List.of(v), Map.of("axes", Attr.ints(axis + 1)), c.temp("spread"));
        List<Long> maskShape = new ArrayList<>(List.of(s));
        for (int i = axis + 1; i < d.size(); i++) {
            maskShape.add(1L);
        }
        ByteBuffer b = ByteBuffer.allocate((int) s * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < s; i++) {
            b.putFloat(i == 0 ? 1f : 0f);
        }
        Value mask = c.constant("stuff_mask", new WeightData(DType.F32, maskShape, b.flip()));
        Value spread = c.emit("mul", List.of(u, mask), Map.of(), c.temp("stuffed"));
        List<Dim> merged = new ArrayList<>(d);
        merged.set(axis, Dim.of(len * s));
        Value flat = c.emit("reshape", List.of(spread), Map.of("shape", new Attr.Dims(merged)), c.temp("merged"));
        Map<String, Attr> slice = new TreeMap<>();
        slice.put("starts", new Attr.Dims(List.of(Dim.of(0))));
        slice.put("ends", new Attr.Dims(List.of(Dim.of((len - 1) * s + 1))));
        slice.put("axes", Attr.ints(axis));
        slice.put("steps", Attr.ints(1));
        return c.emit("slice", List.of(flat), slice, c.temp("trimmed"));
    }

    /** {@code [C, M/g, k...]} → {@code [M, C/g, k...]} per group, flipped along every spatial axis. */
    private static Value kernel(NodeContext c, Value w, long[] ws, long g) {
        int rank = ws.length;
        List<Dim> split = new ArrayList<>(List.of(Dim.of(g), Dim.of(ws[0] / g), Dim.of(ws[1])));
        for (int i = 2; i < rank; i++) {
            split.add(Dim.of(ws[i]));
        }
        Value grouped = c.emit("reshape", List.of(w), Map.of("shape", new Attr.Dims(split)), c.temp("w_groups"));
        long[] perm = new long[rank + 1];
        perm[0] = 0;
        perm[1] = 2;
        perm[2] = 1;
        for (int i = 3; i <= rank; i++) {
            perm[i] = i;
        }
        Value swapped = c.emit("transpose", List.of(grouped), Map.of("perm", Attr.ints(perm)), c.temp("w_swapped"));
        List<Dim> merged = new ArrayList<>(List.of(Dim.of(ws[1] * g), Dim.of(ws[0] / g)));
        for (int i = 2; i < rank; i++) {
            merged.add(Dim.of(ws[i]));
        }
        Value v = c.emit("reshape", List.of(swapped), Map.of("shape", new Attr.Dims(merged)), c.temp("w_conv"));
        for (int i = 2; i < rank; i++) {
            ByteBuffer b = ByteBuffer.allocate((int) ws[i] * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long j = ws[i] - 1; j >= 0; j--) {
                b.putLong(j);
            }
            Value rev = c.constant("reversed", new WeightData(DType.I64, List.of(ws[i]), b.flip()));
            v = c.emit("gather", List.of(v, rev), Map.of("axis", new Attr.Int(i)), c.temp("w_flipped"));
        }
        return v;
    }

    private static long[] fixed(NodeContext c, Value v) {
        long[] out = new long[v.type().rank()];
        for (int i = 0; i < out.length; i++) {
            Dim d = v.type().dim(i);
            if (!d.isFixed()) {
                throw c.fail("needs static shapes, got '" + v.name() + "' " + v.type());
            }
            out[i] = d.value();
        }
        return out;
    }

    private static long[] filled(int n, long v) {
        long[] out = new long[n];
        java.util.Arrays.fill(out, v);
        return out;
    }
}
