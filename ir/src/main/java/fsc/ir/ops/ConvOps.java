package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Convolution and pooling over {@code [N, C, spatial...]} tensors (ONNX layout), plus inference
 * batch normalisation. Spatial sizes may be symbolic (strided windows give floor-division dims).
 */
final class ConvOps {
    private ConvOps() {}

    static List<OpDef> defs() {
        return List.of(
                new OpSpec("conv", 2, 3, ConvOps::conv).attrs(window()),
                OpSpec.fixed("max_pool", 1, ConvOps::pool).attrs(window()),
                OpSpec.fixed("average_pool", 1, ConvOps::pool).attrs(window()),
                OpSpec.fixed("global_average_pool", 1, ConvOps::globalPool).attrs(),
                OpSpec.fixed("global_max_pool", 1, ConvOps::globalPool).attrs(),
                OpSpec.fixed("batch_norm", 5, ConvOps::batchNorm).attrs(AttrSpec.number("epsilon", 1e-5)));
    }

    /**
     * The window attributes conv and the pools share (ONNX's names). Strides, dilations and pads have no
     * single default: absent means ones and zeros for the input's rank ({@link Windows}).
     */
    static AttrSpec[] window() {
        return new AttrSpec[] {
            AttrSpec.ints("kernel_shape"),
            AttrSpec.ints("strides"),
            AttrSpec.ints("dilations"),
            AttrSpec.ints("pads"),
            AttrSpec.string("auto_pad", "NOTSET"),
            AttrSpec.integer("group", 1),
            AttrSpec.integer("ceil_mode", 0),
            AttrSpec.integer("count_include_pad", 0)
        };
    }

    /** The spatial sizes of {@code x}, fixed or symbolic. */
    private static List<Dim> spatial(InferContext ctx, TensorType x) {
        if (x.rank() < 3) {
            throw ctx.fail("needs [N, C, spatial...], got " + x);
        }
        return x.dims().subList(2, x.rank());
    }

    /** The output's spatial sizes: numbers for fixed inputs, floor-division dims for symbolic ones. */
    static List<Dim> windows(InferContext ctx, List<Dim> in, long[] kernel) {
        try {
            return Windows.outDims(ctx.op(), ctx.attrs(), in, kernel);
        } catch (IllegalArgumentException e) {
            if (in.stream().allMatch(Dim::isFixed)) {
                throw ctx.fail(e.getMessage());
            }
            throw new fsc.ir.FscException(
                    ctx.fail(e.getMessage()).getMessage(),
                    "compile for fixed input sizes with --shape NAME=DIMS (fsc run MODEL.onnx does so for"
                            + " the inputs it is given)");
        }
    }

    private static List<Dim> outDims(Dim n, Dim c, List<Dim> out) {
        List<Dim> dims = new ArrayList<>(List.of(n, c));
        dims.addAll(out);
        return dims;
    }

    /** {@code conv(x[N,C,...], w[M,C/group,k...][, b[M]])} with {@code group}, strides, pads, dilations. */
    private static List<TensorType> conv(InferContext ctx) {
        TensorType x = ctx.input(0);
        TensorType w = ctx.input(1);
        if (x.dtype() != w.dtype()) {
            throw ctx.fail("weight " + w + " does not match input " + x);
        }
        List<Dim> out = convDims(ctx, x, w);
        if (ctx.inputCount() == 3) {
            TensorType b = ctx.input(2);
            if (b.dtype() != x.dtype() || !b.dims().equals(List.of(out.get(1)))) {
                throw ctx.fail("bias " + b + " must be " + x.dtype().irName() + "[" + out.get(1) + "]");
            }
        }
        return List.of(x.withDims(out));
    }

    /**
     * The output dimensions of a convolution of {@code x} by {@code w} (element types not checked):
     * {@code [N, M, windows...]}, after checking ranks, {@code group} and {@code kernel_shape}.
     */
    static List<Dim> convDims(InferContext ctx, TensorType x, TensorType w) {
        List<Dim> in = spatial(ctx, x);
        if (w.rank() != x.rank()) {
            throw ctx.fail("weight " + w + " does not match input " + x);
        }
        long[] wShape = ctx.fixed(w.dims(), "weight shape");
        long group = ctx.intAttr("group");
        Dim channels = x.dim(1);
        if (group < 1 || !channels.equals(Dim.of(wShape[1] * group)) || wShape[0] % group != 0) {
            throw ctx.fail("input " + x + " and weight " + w + " do not fit group " + group);
        }
        long[] kernel = Arrays.copyOfRange(wShape, 2, wShape.length);
        ctx.intsAttr("kernel_shape").ifPresent(k -> {
            if (!Arrays.equals(k, kernel)) {
                throw ctx.fail("kernel_shape " + Arrays.toString(k) + " differs from weight " + w);
            }
        });
        return outDims(x.dim(0), Dim.of(wShape[0]), windows(ctx, in, kernel));
    }

    private static List<TensorType> pool(InferContext ctx) {
        TensorType x = ctx.input(0);
        List<Dim> in = spatial(ctx, x);
        long[] kernel = ctx.intsAttr("kernel_shape").orElseThrow(() -> ctx.fail("needs attribute 'kernel_shape'"));
        if (kernel.length != in.size()) {
            throw ctx.fail("kernel_shape has " + kernel.length + " entries for " + in.size() + " spatial dimensions");
        }
        // An average needs fractions; a maximum works on any ordered type (ONNX MaxPool takes u8/i8).
        if (ctx.op().equals("average_pool")
                ? !x.dtype().isFloat()
                : x.dtype().isQuantizedBlock() || x.dtype() == DType.BOOL) {
            throw ctx.fail("does not take " + x);
        }
        return List.of(x.withDims(outDims(x.dim(0), x.dim(1), windows(ctx, in, kernel))));
    }

    private static List<TensorType> globalPool(InferContext ctx) {
        TensorType x = ctx.input(0);
        if (x.rank() < 3) {
            throw ctx.fail("needs [N, C, spatial...], got " + x);
        }
        List<Dim> dims = new ArrayList<>(x.dims().subList(0, 2));
        for (int i = 2; i < x.rank(); i++) {
            dims.add(Dim.of(1));
        }
        return List.of(x.withDims(dims));
    }

    /** {@code batch_norm(x, scale, bias, mean, var)}: inference form, per channel (axis 1). */
    private static List<TensorType> batchNorm(InferContext ctx) {
        TensorType x = ctx.input(0);
        if (x.rank() < 2 || !x.dtype().isFloat()) {
            throw ctx.fail("needs a floating-point [N, C, ...] input, got " + x);
        }
        for (int i = 1; i < 5; i++) {
            TensorType p = ctx.input(i);
            if (p.dtype() != x.dtype() || !p.dims().equals(List.of(x.dim(1)))) {
                throw ctx.fail("input " + i + " " + p + " must be " + x.dtype().irName() + "[" + x.dim(1) + "]");
            }
        }
        return List.of(x);
    }
}
