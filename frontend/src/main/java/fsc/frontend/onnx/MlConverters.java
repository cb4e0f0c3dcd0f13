package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * The ops of the {@code ai.onnx.ml} domain that are plain tensor maps, expanded into IR ops:
 * Binarizer ({@code x > threshold} as 1 or 0 of x's type) and ArrayFeatureExtractor (a gather on the
 * last axis).
 */
final class MlConverters {
    private MlConverters() {}

    static final String ML_DOMAIN = "ai.onnx.ml";

    static void register(List<Rule> rules) {
        rules.add(new Rule(ML_DOMAIN, "Binarizer", 1, MlConverters::binarizer));
        rules.add(new Rule(ML_DOMAIN, "ArrayFeatureExtractor", 1, MlConverters::arrayFeatureExtractor));
    }

    private static void binarizer(NodeContext c) {
        Value x = c.input(0);
        DType t = x.dtype();
        if (t != DType.F32 && t != DType.F64 && t != DType.I32 && t != DType.I64) {
            throw c.fail("Binarizer takes f32, f64, i32 or i64, got " + x.type());
        }
        double threshold = c.attrs.floatValue("threshold").orElse(0.0);
        // For integers x > t exactly when x > floor(t), which the integer constant holds exactly.
        double bound = t.isFloat() ? threshold : Math.floor(threshold);
        Value limit = ActivationConverters.scalar(c, "threshold", t, bound);
        Value above = c.emit("greater", List.of(x, limit), Map.of(), c.temp("above"));
        c.produce("cast", List.of(above), Map.of("to", new Attr.Type(t)));
    }

    /** {@code y[..., k] = x[..., indices[k]]} for 1-D indices; ONNX Runtime's 1-D x case (output [1, k]) is refused. */
    private static void arrayFeatureExtractor(NodeContext c) {
        Value x = c.input(0);
        Value indices = c.input(1);
        if (x.type().rank() < 2 || indices.type().rank() != 1) {
            throw c.fail("ArrayFeatureExtractor needs x of rank 2 or more and 1-D indices, got " + x.type() + " and "
                    + indices.type());
        }
        c.produce(
                "gather",
                List.of(x, indices),
                Map.of("axis", new Attr.Int(x.type().rank() - 1)));
    }
}
