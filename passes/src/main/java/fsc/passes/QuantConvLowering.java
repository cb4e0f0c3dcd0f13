package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link QuantLinearLowering}'s convolutions: {@code conv_integer} and {@code qlinear_conv} become an
 * f32 {@code conv} of zero-point-centred integers (then a cast to i32, or QLinearConv's requantisation
 * in f32). The f32 accumulation is exact while every partial sum stays below 2^24, which holds for the
 * 8-bit products and the small receptive fields these ops are used with; the f32 conv kernels are what
 * run it (there is no int8 conv kernel).
 *
 * <pre>
 * %y: i32[1,2,3,3] = conv_integer(%x, %w, %x_zp)        // %x: u8[1,1,5,5], %w: u8[2,1,3,3]
 *   ⇒
 * %y/x_f32 = cast(%x) {to = f32}  %y/x_zp_f32 = cast(%x_zp) {to = f32}  %y/x_centred = sub(...)
 * %y/w_f32 = cast(%w) {to = f32}
 * %y/acc: f32[1,2,3,3] = conv(%y/x_centred, %y/w_f32)
 * %y = cast(%y/acc) {to = i32}
 * </pre>
 */
final class QuantConvLowering {
    private QuantConvLowering() {}

    static void convInteger(Expansion e) {
        Node n = e.node;
        Value x = centred(e, n.input(0), n.inputs().size() > 2 ? n.input(2) : null, "x");
        Value w = centred(e, n.input(1), n.inputs().size() > 3 ? n.input(3) : null, "w");
        Value acc = e.emit("conv", List.of(x, w), n.attrs(), "acc");
        e.produce("cast", List.of(acc), Map.of("to", new Attr.Type(DType.I32)), n.output());
    }

    /** {@code y = saturate(round(acc · x_scale · w_scale / y_scale) + y_zp)}, the bias added to acc. */
    static void qlinearConv(Expansion e) {
        Node n = e.node;
        Value x = centred(e, n.input(0), n.input(2), "x");
        Value w = centred(e, n.input(3), n.input(5), "w");
        List<Value> in = new ArrayList<>(List.of(x, w));
        if (n.inputs().size() > 8) {
            in.add(e.cast(n.input(8), DType.F32, "bias_f32"));
        }
        Value acc = e.emit("conv", in, n.attrs(), "acc");
        Value wScale = perChannel(
                e, e.cast(n.input(4), DType.F32, "w_scale_f32"), acc.type().rank() - 2, "w_scale");
        Value xw = e.emit("mul", List.of(e.cast(n.input(1), DType.F32, "x_scale_f32"), wScale), Map.of(), "xw");
        Value s = e.emit("div", List.of(xw, e.cast(n.input(6), DType.F32, "y_scale_f32")), Map.of(), "s");
        Value scaled = e.emit("mul", List.of(acc, s), Map.of(), "scaled");
        Value q = e.emit("round", List.of(scaled), Map.of(), "rounded");
        Value yzp = n.input(7);
        q = e.emit("add", List.of(q, e.cast(yzp, DType.F32, "y_zp_f32")), Map.of(), "shifted");
        if (yzp.dtype() != DType.I8 && yzp.dtype() != DType.U8) {
            throw new FscException(
                    n.where() + ": quantizes to u8 or i8, not " + yzp.dtype().irName());
        }
        double lo = yzp.dtype() == DType.I8 ? -128 : 0;
        double hi = yzp.dtype() == DType.I8 ? 127 : 255;
        Value low = e.emit("max", List.of(q, e.scalar("q_lo", lo)), Map.of(), "q_low");
        Value clipped = e.emit("min", List.of(low, e.scalar("q_hi", hi)), Map.of(), "q_clip");
        e.produce("cast", List.of(clipped), Map.of("to", new Attr.Type(yzp.dtype())), n.output());
    }

    /** {@code f32(v) - f32(zp)}; a per-output-channel weight zero point broadcasts over [M, C, k...]. */
    private static Value centred(Expansion e, Value v, Value zp, String tag) {
        Value vf = e.cast(v, DType.F32, tag + "_f32");
        if (zp == null) {
            return vf;
        }
        Value zf =
                perChannel(e, e.cast(zp, DType.F32, tag + "_zp_f32"), v.type().rank() - 1, tag + "_zp");
        return e.emit("sub", List.of(vf, zf), Map.of(), tag + "_centred");
    }

    /** A 1-D per-channel parameter of length > 1 reshaped to {@code [M, 1 × trailing]}. */
    private static Value perChannel(Expansion e, Value p, int trailing, String tag) {
        if (p.type().rank() == 0 || p.type().dim(0).equals(Dim.of(1))) {
            return p;
        }
        List<Dim> shape = new ArrayList<>(List.of(p.type().dim(0)));
        for (int i = 0; i < trailing; i++) {
            shape.add(Dim.of(1));
        }
        return e.emit("reshape", List.of(p), Map.of("shape", new Attr.Dims(shape)), tag + "_channel");
    }
}
