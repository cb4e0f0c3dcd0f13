package fsc.compiler;

import fsc.ir.FscException;

/**
 * {@code --accuracy-budget cos=0.995}: the lowest per-token cosine between the quantized model's
 * outputs and the f32 model's that {@code --quantize auto} may accept, on the measurement inputs.
 * Only {@code cos} exists: {@code kl} is for decoders' logits, which this path does not quantize.
 */
public record AccuracyBudget(double minCosine) {
    /** When {@code --quantize auto} is given without a budget. */
    public static final AccuracyBudget DEFAULT = new AccuracyBudget(0.99);

    public static AccuracyBudget parse(String text) {
        String t = text.strip();
        if (!t.startsWith("cos=")) {
            throw new FscException("--accuracy-budget " + text + ": expected cos=C with C in (0, 1], e.g. cos=0.995");
        }
        double c;
        try {
            c = Double.parseDouble(t.substring(4));
        } catch (NumberFormatException e) {
            throw new FscException("--accuracy-budget " + text + ": '" + t.substring(4) + "' is not a number");
        }
        if (!(c > 0 && c <= 1)) {
            throw new FscException("--accuracy-budget " + text + ": the cosine must be in (0, 1]");
        }
        return new AccuracyBudget(c);
    }

    @Override
    public String toString() {
        return "cos=" + minCosine;
    }
}
