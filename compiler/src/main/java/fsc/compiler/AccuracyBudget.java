package fsc.compiler;

import fsc.ir.FscException;

/**
 * {@code --accuracy-budget}: how far from the unquantized model {@code --quantize auto} may go, on
 * the measurement inputs. {@code cos=C} (ONNX models): the lowest per-row cosine between the
 * quantized model's outputs and the f32 model's. {@code kl=K} (GGUF decoders): the largest mean KL
 * divergence, in nats, of the next-token distribution from the source model's on the reference
 * sequence ({@link GgufQuantMeasure}).
 *
 * @param metric which error the budget bounds
 * @param value the lowest cosine, or the largest mean KL
 */
public record AccuracyBudget(Metric metric, double value) {
    public enum Metric {
        COS,
        KL
    }

    /** When {@code --quantize auto} is given without a budget, on an ONNX model. */
    public static final AccuracyBudget DEFAULT = new AccuracyBudget(Metric.COS, 0.99);

    /** When {@code --quantize auto} is given without a budget, on a GGUF decoder. */
    public static final AccuracyBudget DEFAULT_KL = new AccuracyBudget(Metric.KL, 0.01);

    /** The lowest cosine of a {@code cos=} budget. */
    public double minCosine() {
        if (metric != Metric.COS) {
            throw new IllegalStateException("AccuracyBudget: " + this + " is not a cosine budget");
        }
        return value;
    }

    /** The largest mean KL of a {@code kl=} budget. */
    public double maxKl() {
        if (metric != Metric.KL) {
            throw new IllegalStateException("AccuracyBudget: " + this + " is not a KL budget");
        }
        return value;
    }

    public static AccuracyBudget parse(String text) {
        String t = text.strip();
        Metric m = t.startsWith("cos=") ? Metric.COS : t.startsWith("kl=") ? Metric.KL : null;
        if (m == null) {
            throw new FscException("--accuracy-budget " + text
                    + ": expected cos=C with C in (0, 1] (ONNX models, e.g. cos=0.995) or kl=K with K > 0 (GGUF"
                    + " decoders, mean KL in nats, e.g. kl=0.01)");
        }
        String number = t.substring(t.indexOf('=') + 1);
        double v;
        try {
            v = Double.parseDouble(number);
        } catch (NumberFormatException e) {
            throw new FscException("--accuracy-budget " + text + ": '" + number + "' is not a number");
        }
        if (m == Metric.COS && !(v > 0 && v <= 1)) {
            throw new FscException("--accuracy-budget " + text + ": the cosine must be in (0, 1]");
        }
        if (m == Metric.KL && !(v > 0 && Double.isFinite(v))) {
            throw new FscException("--accuracy-budget " + text + ": the KL divergence must be a finite number > 0");
        }
        return new AccuracyBudget(m, v);
    }

    @Override
    public String toString() {
        return (metric == Metric.COS ? "cos=" : "kl=") + value;
    }
}
