package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.DType;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.util.List;
import java.util.Map;

/**
 * Col2Im as a matrix product: every (kernel offset k, block l) column entry adds into one image pixel
 * (or falls into the padding), the same for every channel. That is a constant 0/1 matrix {@code
 * M[K·L, P]}, so {@code out[N, C, P] = in[N, C, K·L] @ M}. The image and block shapes must be known;
 * M is limited to {@value #MAX_MATRIX} entries, which covers the small images Col2Im is used on.
 */
final class Col2ImConverter {
    private Col2ImConverter() {}

    private static final long MAX_MATRIX = 1L << 24;

    static void register(List<Rule> rules) {
        rules.add(new Rule("Col2Im", 18, Col2ImConverter::convert));
    }

    private static void convert(NodeContext c) {
        Value x = c.input(0);
        long[] xs = StaticSelection.fixedShape(c, x);
        long[] image = KnownOperands.tensor(c, 1, "image_shape").toLongArray();
        long[] block = KnownOperands.tensor(c, 2, "block_shape").toLongArray();
        int dims = image.length;
        if (x.type().dtype() != DType.F32 || xs.length != 3 || block.length != dims) {
            throw c.fail("needs f32 input [N, C·prod(block), L] and image/block shapes of one rank, got " + x.type());
        }
        long[] strides = c.attrs.ints("strides").orElse(filled(dims, 1));
        long[] dilations = c.attrs.ints("dilations").orElse(filled(dims, 1));
        long[] pads = c.attrs.ints("pads").orElse(filled(2 * dims, 0));
        long kernel = StaticSelection.count(block);
        long[] blocks = new long[dims];
        for (int d = 0; d < dims; d++) {
            long span = dilations[d] * (block[d] - 1) + 1;
            blocks[d] = (image[d] + pads[d] + pads[d + dims] - span) / strides[d] + 1;
        }
        long columns = StaticSelection.count(blocks);
        long pixels = StaticSelection.count(image);
        if (xs[1] % kernel != 0 || xs[2] != columns) {
            throw c.fail(
                    "input " + x.type() + " does not hold " + kernel + "-element blocks at " + columns + " positions");
        }
        if (kernel * columns * pixels > MAX_MATRIX) {
            throw c.fail(
                    "the scatter matrix would have " + kernel * columns * pixels + " entries, more than " + MAX_MATRIX);
        }
        long channels = xs[1] / kernel;
        HostTensor m = HostTensor.zeros(DType.F32, new long[] {kernel * columns, pixels});
        long[] imageStrides = StaticSelection.strides(image);
        SelectionConverters.mapEach(new long[] {kernel, columns}, (kl, unused) -> {
            long[] k = unravel(kl[0], block);
            long[] l = unravel(kl[1], blocks);
            long pixel = 0;
            for (int d = 0; d < dims; d++) {
                long p = l[d] * strides[d] + k[d] * dilations[d] - pads[d];
                if (p < 0 || p >= image[d]) {
                    return 0;
                }
                pixel += p * imageStrides[d];
            }
            m.setDouble((kl[0] * columns + kl[1]) * pixels + pixel, 1);
            return 0;
        });
        Value cols = c.emit(
                "reshape",
                List.of(x),
                Map.of("shape", StaticSelection.dims(xs[0], channels, kernel * columns)),
                c.temp("columns"));
        Value summed = c.emit("matmul", List.of(cols, c.constant("scatter", m.toWeight())), Map.of(), c.temp("summed"));
        long[] out = new long[dims + 2];
        out[0] = xs[0];
        out[1] = channels;
        System.arraycopy(image, 0, out, 2, dims);
        c.produce("reshape", List.of(summed), Map.of("shape", StaticSelection.dims(out)));
    }

    private static long[] filled(int n, long v) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private static long[] unravel(long flat, long[] shape) {
        long[] coord = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            coord[d] = flat % shape[d];
            flat /= shape[d];
        }
        return coord;
    }
}
