package fsc.frontend.onnx;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * DeformConv (opset 19), 2-D: a convolution whose every kernel tap samples the input at its regular
 * position plus a learned offset, bilinearly with zeros outside, scaled by an optional mask. ONNX's
 * reference defines it through GridSample, and so does this lowering:
 *
 * <pre>
 * pos[n, g, k, (y, x), i, j] = offset[n, g, k, :, i, j] + (i·stride - pad + ky·dilation, j·stride - pad + kx·dilation)
 * cols[n, c, k, i, j]        = grid_sample(x[n, channels of offset group g], pos as a grid) · mask[n, g, k, i, j]
 * y[n, o, i, j]              = Σ_{c in o's group, k} w[o, c, k] · cols[n, c, k, i, j] + b[o]
 * </pre>
 *
 * Positions become grid coordinates with {@code align_corners = 0} ({@code g = (2p + 1)/size - 1}),
 * which samples the same pixel-space bilinear point as the reference's {@code align_corners = 1} but
 * stays defined for a size-1 axis. The taps of all output pixels of one offset group are one
 * grid_sample call ({@code [N, K·oH, oW]} grid) and the weights one (grouped) matmul, so the work runs
 * in the existing grid_sample and matmul kernels. Shapes must be static.
 */
final class DeformConvConverter {
    private DeformConvConverter() {}

    static void register(List<OnnxOps.Rule> rules) {
        rules.add(new OnnxOps.Rule("DeformConv", 19, DeformConvConverter::convert));
    }

    private static void convert(NodeContext c) {
        Value x = c.input(0);
        Value w = c.input(1);
        Value offset = c.input(2);
        long[] xs = StaticSelection.fixedShape(c, x);
        long[] ws = StaticSelection.fixedShape(c, w);
        long[] os = StaticSelection.fixedShape(c, offset);
        if (xs.length != 4 || ws.length != 4 || os.length != 4) {
            throw c.fail(
                    "fsc supports 2-D DeformConv: X [N, C, H, W], W [M, C/group, kH, kW], offset [N, 2·G·kH·kW, oH,"
                            + " oW]; got " + x.type() + ", " + w.type() + ", " + offset.type());
        }
        DType t = x.dtype();
        if (t != DType.F32 || w.dtype() != t || offset.dtype() != t) {
            throw c.fail("X, W and offset must be f32, got " + x.type() + ", " + w.type() + ", " + offset.type());
        }
        long n = xs[0];
        long ch = xs[1];
        long ih = xs[2];
        long iw = xs[3];
        long m = ws[0];
        long group = c.attrs.intValue("group", 1);
        long offGroups = c.attrs.intValue("offset_group", 1);
        long[] kernel = c.attrs.ints("kernel_shape").orElse(new long[] {ws[2], ws[3]});
        long[] pads = c.attrs.ints("pads").orElse(new long[] {0, 0, 0, 0});
        long[] strides = c.attrs.ints("strides").orElse(new long[] {1, 1});
        long[] dil = c.attrs.ints("dilations").orElse(new long[] {1, 1});
        if (kernel.length != 2 || pads.length != 4 || strides.length != 2 || dil.length != 2) {
            throw c.fail("kernel_shape, strides and dilations need 2 values and pads 4");
        }
        if (kernel[0] != ws[2] || kernel[1] != ws[3]) {
            throw c.fail("kernel_shape " + kernel[0] + "x" + kernel[1] + " differs from W " + w.type());
        }
        if (group < 1 || ch != ws[1] * group || m % group != 0) {
            throw c.fail("X's " + ch + " channels must be W's " + ws[1] + " per group times group " + group
                    + ", and W's " + m + " filters a multiple of it");
        }
        if (offGroups < 1 || ch % offGroups != 0) {
            throw c.fail("offset_group " + offGroups + " must divide the " + ch + " channels");
        }
        long kk = kernel[0] * kernel[1];
        long oh = (ih + pads[0] + pads[2] - ((kernel[0] - 1) * dil[0] + 1)) / strides[0] + 1;
        long ow = (iw + pads[1] + pads[3] - ((kernel[1] - 1) * dil[1] + 1)) / strides[1] + 1;
        if (os[0] != n || os[1] != offGroups * 2 * kk || os[2] != oh || os[3] != ow) {
            throw c.fail("offset must be [" + n + ", " + offGroups * 2 * kk + ", " + oh + ", " + ow + "], got "
                    + offset.type());
        }
        long cg = ch / offGroups;

        // Grid coordinates (x, y) of every tap: gather swaps the offsets' (y, x) pairs.
        Value pos = reshape(c, offset, "offset6", n, offGroups, kk, 2, oh, ow);
        Value swap = c.constant("xy", i64(List.of(2L), 1, 0));
        pos = c.emit("gather", List.of(pos, swap), Map.of("axis", new Attr.Int(3)), c.temp("offset_xy"));
        Value grid = c.emit(
                "add",
                List.of(pos, basePositions(c, kernel, pads, strides, dil, kk, oh, ow)),
                Map.of(),
                c.temp("positions"));
        grid = c.emit(
                "mul", List.of(grid, perAxis(c, "grid_scale", 2.0 / iw, 2.0 / ih)), Map.of(), c.temp("grid_scaled"));
        grid = c.emit(
                "add",
                List.of(grid, perAxis(c, "grid_shift", 1.0 / iw - 1, 1.0 / ih - 1)),
                Map.of(),
                c.temp("grid_raw"));
        grid = c.emit("transpose", List.of(grid), Map.of("perm", Attr.ints(0, 1, 2, 4, 5, 3)), c.temp("grid_last"));
        grid = reshape(c, grid, "grid", n, offGroups, kk * oh, ow, 2);

        Map<String, Attr> sampling = Map.of(
                "mode",
                new Attr.Str("linear"),
                "padding_mode",
                new Attr.Str("zeros"),
                "align_corners",
                new Attr.Int(0));
        List<Value> parts = new ArrayList<>();
        for (long g = 0; g < offGroups; g++) {
            Value xg = offGroups == 1 ? x : slice(c, x, 1, g * cg, (g + 1) * cg, "x_group" + g);
            Value gg = reshape(
                    c, slice(c, grid, 1, g, g + 1, "grid_group" + g), "grid_group" + g + "_4d", n, kk * oh, ow, 2);
            parts.add(c.emit("grid_sample", List.of(xg, gg), sampling, c.temp("sampled" + g)));
        }
        Value sampled = parts.size() == 1
                ? parts.getFirst()
                : c.emit("concat", parts, Map.of("axis", new Attr.Int(1)), c.temp("sampled"));
        // [N, C, K·oH, oW] → [N, G, C/G, K, oH·oW]; the mask broadcasts over a group's channels.
        Value cols = reshape(c, sampled, "cols6", n, offGroups, cg, kk, oh * ow);
        if (c.hasInput(4)) {
            Value mask = c.input(4);
            if (mask.dtype() != t
                    || !java.util.Arrays.equals(
                            StaticSelection.fixedShape(c, mask), new long[] {n, offGroups * kk, oh, ow})) {
                throw c.fail("mask must be f32 [" + n + ", " + offGroups * kk + ", " + oh + ", " + ow + "], got "
                        + mask.type());
            }
            cols = c.emit(
                    "mul",
                    List.of(cols, reshape(c, mask, "mask5", n, offGroups, 1, kk, oh * ow)),
                    Map.of(),
                    c.temp("masked"));
        }
        Value y;
        long cpg = ch / group;
        if (group == 1) {
            Value wm = reshape(c, w, "w2", m, ch * kk);
            y = c.emit("matmul", List.of(wm, reshape(c, cols, "cols3", n, ch * kk, oh * ow)), Map.of(), c.temp("y3"));
        } else {
            Value wm = reshape(c, w, "w3", group, m / group, cpg * kk);
            y = c.emit(
                    "matmul",
                    List.of(wm, reshape(c, cols, "cols4", n, group, cpg * kk, oh * ow)),
                    Map.of(),
                    c.temp("y4"));
        }
        if (c.hasInput(3)) {
            Value b = c.input(3);
            if (b.dtype() != t || !java.util.Arrays.equals(StaticSelection.fixedShape(c, b), new long[] {m})) {
                throw c.fail("B must be f32 [" + m + "], got " + b.type());
            }
            Value y3 = reshape(c, y, "y_rows", n, m, oh * ow);
            y = c.emit("add", List.of(y3, reshape(c, b, "bias", m, 1)), Map.of(), c.temp("biased"));
        }
        c.produce("reshape", List.of(y), Map.of("shape", StaticSelection.dims(n, m, oh, ow)));
    }

    /** {@code [1, 1, K, 2, oH, oW]}: each tap's regular (x, y) sampling position at each output pixel. */
    private static Value basePositions(
            NodeContext c, long[] kernel, long[] pads, long[] strides, long[] dil, long kk, long oh, long ow) {
        ByteBuffer b = ByteBuffer.allocate((int) (4 * kk * 2 * oh * ow)).order(ByteOrder.LITTLE_ENDIAN);
        for (long k = 0; k < kk; k++) {
            long ky = k / kernel[1];
            long kx = k % kernel[1];
            for (int axis = 0; axis < 2; axis++) {
                for (long i = 0; i < oh; i++) {
                    for (long j = 0; j < ow; j++) {
                        long p = axis == 0
                                ? j * strides[1] - pads[1] + kx * dil[1]
                                : i * strides[0] - pads[0] + ky * dil[0];
                        b.putFloat(p);
                    }
                }
            }
        }
        return c.constant("taps", new WeightData(DType.F32, List.of(1L, 1L, kk, 2L, oh, ow), b.flip()));
    }

    /** {@code [1, 1, 1, 2, 1, 1]} holding {@code (forX, forY)}. */
    private static Value perAxis(NodeContext c, String suffix, double forX, double forY) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        b.putFloat((float) forX).putFloat((float) forY);
        return c.constant(suffix, new WeightData(DType.F32, List.of(1L, 1L, 1L, 2L, 1L, 1L), b.flip()));
    }

    private static Value reshape(NodeContext c, Value v, String suffix, long... dims) {
        return c.emit("reshape", List.of(v), Map.of("shape", StaticSelection.dims(dims)), c.temp(suffix));
    }

    private static Value slice(NodeContext c, Value v, long axis, long from, long to, String suffix) {
        Map<String, Attr> a = new TreeMap<>();
        a.put("starts", StaticSelection.dims(from));
        a.put("ends", StaticSelection.dims(to));
        a.put("axes", Attr.ints(axis));
        a.put("steps", Attr.ints(1));
        return c.emit("slice", List.of(v), a, c.temp(suffix));
    }

    private static WeightData i64(List<Long> shape, long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return new WeightData(DType.I64, shape, b.flip());
    }
}
