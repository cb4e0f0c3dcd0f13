package fsc.ir.interp;

import fsc.ir.DType;

/**
 * Reference kernels of ONNX's quantization ops ({@code quantize_linear}, {@code dequantize_linear},
 * {@code matmul_integer}, {@code qlinear_matmul}, {@code conv_integer}, {@code qlinear_conv}; {@code
 * dynamic_quantize_linear} is {@link
 * Int8Kernels#dynamicQuantize}). Every float step is an f32 operation in the order the {@code
 * quantize} pass's lowering writes it, so a graph and its lowering give the same bits here.
 */
final class QuantLinearKernels {
    private QuantLinearKernels() {}

    /** {@code saturate(round(f32(x) / scale) + zp)}; float targets are converted without the rounding. */
    static HostTensor quantize(Call c) {
        HostTensor x = c.in(0);
        HostTensor scale = c.in(1);
        HostTensor zp = c.in().size() > 2 ? c.in(2) : null;
        HostTensor out = c.newOutput();
        DType to = out.dtype();
        float[] range = to.isFloat() ? null : range(c, to);
        for (long i = 0; i < out.size(); i++) {
            long p = parameterIndex(c, x.shape(), scale, i);
            float q = (float) x.getDouble(i) / (float) scale.getDouble(p);
            if (!to.isFloat()) {
                q = (float) Math.rint(q);
            }
            if (zp != null) {
                q = q + (float) zp.getDouble(p);
            }
            if (range != null) {
                q = Math.min(Math.max(q, range[0]), range[1]);
            }
            out.setDouble(i, q);
        }
        return out;
    }

    /** {@code (f32(x) - f32(zp)) · scale} in f32, stored in the scale's type. */
    static HostTensor dequantize(Call c) {
        HostTensor x = c.in(0);
        HostTensor scale = c.in(1);
        HostTensor zp = c.in().size() > 2 ? c.in(2) : null;
        HostTensor out = c.newOutput();
        for (long i = 0; i < out.size(); i++) {
            long p = parameterIndex(c, x.shape(), scale, i);
            float v = (float) x.getDouble(i);
            if (zp != null) {
                v = v - (float) zp.getDouble(p);
            }
            out.setDouble(i, v * (float) scale.getDouble(p));
        }
        return out;
    }

    /** The exact i32 product of the zero-point-centred operands. */
    static HostTensor matmulInteger(Call c) {
        HostTensor a = centred(c.in(0), c.in().size() > 2 ? c.in(2) : null, true);
        HostTensor b = centred(c.in(1), c.in().size() > 3 ? c.in(3) : null, false);
        return LinalgKernels.product(a, b, c.newOutput());
    }

    /** {@code saturate(round(f32(acc) · (a_scale · b_scale / y_scale)) + y_zp)}, each step in f32. */
    static HostTensor qlinearMatmul(Call c) {
        HostTensor a = centred(c.in(0), c.in(2), true);
        HostTensor b = centred(c.in(3), c.in(5), false);
        long[] shape = c.outShape();
        HostTensor acc = LinalgKernels.product(a, b, HostTensor.zeros(DType.I32, shape));
        HostTensor aScale = c.in(1);
        HostTensor bScale = c.in(4);
        HostTensor yScale = c.in(6);
        HostTensor yZp = c.in(7);
        HostTensor out = c.newOutput();
        float[] range = range(c, out.dtype());
        for (long i = 0; i < out.size(); i++) {
            float ab = at(aScale, shape, i) * at(bScale, shape, i);
            float s = ab / at(yScale, shape, i);
            float q = (float) Math.rint((float) acc.getLong(i) * s) + at(yZp, shape, i);
            out.setDouble(i, Math.min(Math.max(q, range[0]), range[1]));
        }
        return out;
    }

    /** The f32 convolution of the centred operands, converted to i32 (exact below 2^24). */
    static HostTensor convInteger(Call c) {
        HostTensor x = centredF32(c.in(0), c.in().size() > 2 ? c.in(2) : null);
        HostTensor w = centredF32(c.in(1), c.in().size() > 3 ? c.in(3) : null);
        HostTensor acc = ConvKernels.convolve(c.node(), x, w, null, HostTensor.zeros(DType.F32, c.outShape()));
        HostTensor out = c.newOutput();
        for (long i = 0; i < out.size(); i++) {
            out.setDouble(i, acc.getDouble(i));
        }
        return out;
    }

    /**
     * {@code saturate(round(acc · (x_scale · w_scale / y_scale)) + y_zp)}, acc the f32 convolution of
     * the centred operands started from the bias, each step in f32; w_scale per output channel.
     */
    static HostTensor qlinearConv(Call c) {
        HostTensor x = centredF32(c.in(0), c.in(2));
        HostTensor w = centredF32(c.in(3), c.in(5));
        HostTensor bias = null;
        if (c.in().size() > 8) {
            bias = HostTensor.zeros(DType.F32, c.in(8).shape());
            for (long i = 0; i < bias.size(); i++) {
                bias.setDouble(i, (float) c.in(8).getDouble(i));
            }
        }
        long[] shape = c.outShape();
        HostTensor acc = ConvKernels.convolve(c.node(), x, w, bias, HostTensor.zeros(DType.F32, shape));
        HostTensor wScale = c.in(4);
        long[] channel = perChannel(wScale.shape(), shape.length - 2);
        HostTensor out = c.newOutput();
        float[] range = range(c, out.dtype());
        for (long i = 0; i < out.size(); i++) {
            float xw = at(c.in(1), shape, i) * (float) wScale.getDouble(Index.broadcast(shape, channel, i));
            float s = xw / at(c.in(6), shape, i);
            float q = (float) Math.rint((float) acc.getDouble(i) * s) + at(c.in(7), shape, i);
            out.setDouble(i, Math.min(Math.max(q, range[0]), range[1]));
        }
        return out;
    }

    /** {@code f32(v) - f32(zp)}, a zero point of more than one element one per index of v's first axis. */
    private static HostTensor centredF32(HostTensor v, HostTensor zp) {
        HostTensor out = HostTensor.zeros(DType.F32, v.shape());
        long[] zpShape = zp == null ? null : perChannel(zp.shape(), v.rank() - 1);
        for (long i = 0; i < out.size(); i++) {
            float z = zp == null ? 0f : (float) zp.getDouble(Index.broadcast(v.shape(), zpShape, i));
            out.setDouble(i, zp == null ? (float) v.getDouble(i) : (float) v.getDouble(i) - z);
        }
        return out;
    }

    /** A parameter's shape as it broadcasts: one element as it is, else {@code [len, 1 × trailing]}. */
    private static long[] perChannel(long[] p, int trailing) {
        if (p.length == 0 || p[0] == 1) {
            return p;
        }
        long[] shape = new long[1 + trailing];
        java.util.Arrays.fill(shape, 1);
        shape[0] = p[0];
        return shape;
    }

    /** Element {@code i} of a tensor of {@code shape} that {@code p} broadcasts to, as f32. */
    private static float at(HostTensor p, long[] shape, long i) {
        return (float) p.getDouble(Index.broadcast(shape, p.shape(), i));
    }

    /**
     * {@code i32(x) - i32(zp)}; a vector zero point of {@code a} ({@code rows}) holds one value per
     * row, so it broadcasts as a column {@code [M, 1]}.
     */
    private static HostTensor centred(HostTensor x, HostTensor zp, boolean rows) {
        HostTensor out = HostTensor.zeros(DType.I32, x.shape());
        long[] zpShape = zp == null ? null : zp.shape();
        if (zp != null && rows && zpShape.length == 1 && zpShape[0] != 1) {
            zpShape = new long[] {zpShape[0], 1};
        }
        for (long i = 0; i < out.size(); i++) {
            long z = zp == null ? 0 : zp.getLong(Index.broadcast(x.shape(), zpShape, i));
            out.setLong(i, x.getLong(i) - z);
        }
        return out;
    }

    /**
     * The index into the scale (and zero point) for element {@code i} of x: 0 for one element, else
     * the position along {@code axis}, divided by {@code block_size} when blocked.
     */
    private static long parameterIndex(Call c, long[] x, HostTensor scale, long i) {
        long block = c.node().intAttr("block_size");
        if (block == 0 && scale.size() == 1) {
            return 0;
        }
        int axis = Call.axis(c.node().intAttr("axis"), Math.max(1, x.length));
        long inner = 1;
        for (int d = axis + 1; d < x.length; d++) {
            inner *= x[d];
        }
        long along = (i / inner) % x[axis];
        if (block == 0) {
            return along;
        }
        long outer = i / (inner * x[axis]);
        return (outer * scale.shape()[axis] + along / block) * inner + i % inner;
    }

    /** The bounds {@code saturate} clips to before the conversion to integer type {@code to}, as f32. */
    private static float[] range(Call c, DType to) {
        return switch (to) {
            case U8 -> new float[] {0, 255};
            case I8 -> new float[] {-128, 127};
            case U16 -> new float[] {0, 65535};
            case I16 -> new float[] {-32768, 32767};
            case I32 -> new float[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
            case U4 -> new float[] {0, 15};
            case I4 -> new float[] {-8, 7};
            case U2 -> new float[] {0, 3};
            case I2 -> new float[] {-2, 1};
            default ->
                throw c.fail(
                        "quantizes to u8, i8, u16, i16, i32, u4, i4, u2, i2 or an 8/4-bit float, not " + to.irName());
        };
    }
}
