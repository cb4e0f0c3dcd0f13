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
 * Experimental ops that ONNX dropped (opset 10) but ONNX Runtime still runs as contrib kernels of
 * the standard domain, and that older exported vision models use: Affine ({@code α·x + β}),
 * ImageScaler ({@code scale·x + bias[c]} on NCHW) and Crop (a slice of H and W). Semantics follow
 * ONNX Runtime's kernels (contrib_ops/cpu/crop.h, image_scaler.h, affine), the only engine that
 * still defines them.
 */
final class LegacyConverters {
    private LegacyConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("Affine", 1, LegacyConverters::affine));
        rules.add(new Rule("Crop", 1, LegacyConverters::crop));
        rules.add(new Rule("ImageScaler", 1, LegacyConverters::imageScaler));
    }

    private static void affine(NodeContext c) {
        Value x = floatInput(c);
        double alpha = c.attrs.floatValue("alpha").orElse(1.0);
        double beta = c.attrs.floatValue("beta").orElse(0.0);
        Value ax = c.emit(
                "mul",
                List.of(x, ActivationConverters.scalar(c, "alpha", x.dtype(), alpha)),
                Map.of(),
                c.temp("scaled"));
        c.produce("add", List.of(ax, ActivationConverters.scalar(c, "beta", x.dtype(), beta)), Map.of());
    }

    /** {@code y[n, c] = scale·x[n, c] + bias[c]}; bias has one value per channel. */
    private static void imageScaler(NodeContext c) {
        Value x = floatInput(c);
        if (x.type().rank() != 4) {
            throw c.fail("ImageScaler takes an [N, C, H, W] input, got " + x.type());
        }
        double scale = c.attrs.floatValue("scale").orElse(1.0);
        Value y = c.emit(
                "mul",
                List.of(x, ActivationConverters.scalar(c, "scale", x.dtype(), scale)),
                Map.of(),
                c.temp("scaled"));
        float[] bias = c.attrs.floats("bias").orElse(null);
        if (bias == null) {
            c.define(0, c.emit("identity", List.of(y), Map.of(), c.outputName(0)));
            return;
        }
        Dim channels = x.type().dim(1);
        if (!channels.isFixed() || channels.value() != bias.length) {
            throw c.fail(
                    "bias has " + bias.length + " values, the input " + x.type() + " has " + channels + " channels");
        }
        ByteBuffer b = ByteBuffer.allocate(4 * bias.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : bias) {
            b.putFloat(f);
        }
        Value bc = c.constant("bias", new WeightData(DType.F32, List.of(1L, (long) bias.length, 1L, 1L), b.flip()));
        if (x.dtype() != DType.F32) {
            bc = c.emit("cast", List.of(bc), Map.of("to", new Attr.Type(x.dtype())), c.temp("bias_cast"));
        }
        c.produce("add", List.of(y, bc), Map.of());
    }

    /**
     * Keeps rows {@code top .. H-bottom} and columns {@code left .. W-right}, or, with {@code scale
     * = [h, w]}, an {@code h × w} window at {@code (top, left)}; {@code border} is {@code [left, top,
     * right, bottom]}.
     */
    private static void crop(NodeContext c) {
        Value x = c.input(0);
        if (x.type().rank() != 4) {
            throw c.fail("Crop takes an [N, C, H, W] input, got " + x.type());
        }
        long[] border = c.attrs.ints("border").orElseThrow(() -> c.fail("needs attribute 'border' (4 values)"));
        if (border.length != 4) {
            throw c.fail("border needs 4 values [left, top, right, bottom], got " + border.length);
        }
        long[] scale = c.attrs.ints("scale").orElse(new long[0]);
        if (scale.length != 0 && scale.length != 2) {
            throw c.fail("scale needs 2 values [height, width], got " + scale.length);
        }
        Dim h = x.type().dim(2);
        Dim w = x.type().dim(3);
        long left = border[0];
        long top = border[1];
        List<Dim> ends = new ArrayList<>();
        if (scale.length == 2) {
            ends.add(Dim.of(top + scale[0]));
            ends.add(Dim.of(left + scale[1]));
            if (h.isFixed() && h.value() < top + scale[0] || w.isFixed() && w.value() < left + scale[1]) {
                throw c.fail("the window " + scale[0] + "x" + scale[1] + " at (" + top + ", " + left + ") does not fit "
                        + x.type());
            }
        } else {
            if (!h.isFixed() || !w.isFixed()) {
                throw c.fail("Crop by borders needs fixed H and W, got " + x.type());
            }
            if (h.value() < top + border[3] || w.value() < left + border[2]) {
                throw c.fail("the borders " + java.util.Arrays.toString(border) + " are larger than " + x.type());
            }
            ends.add(Dim.of(h.value() - border[3]));
            ends.add(Dim.of(w.value() - border[2]));
        }
        if (top < 0 || left < 0 || border[2] < 0 || border[3] < 0) {
            throw c.fail("borders must not be negative, got " + java.util.Arrays.toString(border));
        }
        Map<String, Attr> slice = new TreeMap<>();
        slice.put("starts", new Attr.Dims(List.of(Dim.of(top), Dim.of(left))));
        slice.put("ends", new Attr.Dims(ends));
        slice.put("axes", Attr.ints(2, 3));
        slice.put("steps", Attr.ints(1, 1));
        c.produce("slice", List.of(x), slice);
    }

    private static Value floatInput(NodeContext c) {
        Value x = c.input(0);
        if (!x.dtype().isFloat()) {
            throw c.fail("takes a float tensor, got " + x.type());
        }
        return x;
    }
}
