package fsc.compiler;

import java.nio.file.Path;

/**
 * The quantization options of one compile, each null when not given (so {@link Applicability} can
 * refuse one that does not apply).
 *
 * @param mode {@code --quantize}: {@code int8}, {@code int4} or {@code auto}
 * @param report {@code --quant-report DIR}: where the accuracy report goes (default: beside the jar)
 * @param budget {@code --accuracy-budget cos=0.995}: the end-to-end error {@code auto} must stay within
 */
public record QuantizeOptions(String mode, Path report, String budget) {
    public static final QuantizeOptions NONE = new QuantizeOptions(null, null, null);

    public boolean quantizing() {
        return mode != null;
    }

    /** What changes the jar: the mode and the budget (the report's folder does not). */
    String fingerprint() {
        return mode + "/" + budget;
    }
}
