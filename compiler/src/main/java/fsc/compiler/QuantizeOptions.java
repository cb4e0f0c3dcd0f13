package fsc.compiler;

import java.nio.file.Path;

/**
 * The quantization options of one compile, each null when not given (so {@link Applicability} can
 * refuse one that does not apply).
 *
 * @param mode {@code --quantize}: {@code int8}, {@code int4} or {@code auto}
 * @param report {@code --quant-report DIR}: where the accuracy report goes (default: beside the jar)
 * @param budget {@code --accuracy-budget cos=0.995}: the end-to-end error {@code auto} must stay within
 * @param calibrate {@code --calibrate DIR}: real inputs (one sub-folder per sample, one {@code .npy}
 *     per model input) that replace the random sample inputs of the measurement and, for int8 layers,
 *     give each activation a static scale ({@link CalibrationSet})
 * @param calibrationMethod {@code --calibration-method}: how a static scale is read from the
 *     calibration data ({@link CalibrationMethod}; default min-max)
 * @param steps {@code --quant-steps N} (GGUF decoders): the generated steps of the report's reference
 *     sequence ({@link GgufQuantMeasure}; default {@link GgufQuantMeasure#STEPS}), fewer for big models
 * @param speed {@code --no-quant-speed} gives false: the report leaves out the timing of each variant
 *     ({@link QuantSpeed}); null: timed
 * @param speedThreads {@code --quant-threads N}: the worker threads the variants are timed with (null: 1)
 */
public record QuantizeOptions(
        String mode,
        Path report,
        String budget,
        Path calibrate,
        String calibrationMethod,
        Integer steps,
        Boolean speed,
        Integer speedThreads) {
    public static final QuantizeOptions NONE = new QuantizeOptions(null, null, null, null, null);

    /** Timed (the default) with one thread. */
    public QuantizeOptions(
            String mode, Path report, String budget, Path calibrate, String calibrationMethod, Integer steps) {
        this(mode, report, budget, calibrate, calibrationMethod, steps, null, null);
    }

    /** Without a step count: the default reference sequence. */
    public QuantizeOptions(String mode, Path report, String budget, Path calibrate, String calibrationMethod) {
        this(mode, report, budget, calibrate, calibrationMethod, null);
    }

    /** Without calibration data: activations of int8 layers are quantized at run time. */
    public QuantizeOptions(String mode, Path report, String budget) {
        this(mode, report, budget, null, null);
    }

    public boolean quantizing() {
        return mode != null;
    }

    /** These options with {@code mode} instead (the edge profile's int8 when none was given). */
    public QuantizeOptions withMode(String mode) {
        return new QuantizeOptions(mode, report, budget, calibrate, calibrationMethod, steps, speed, speedThreads);
    }

    /** Whether the report times each variant: unless {@code --no-quant-speed}. */
    boolean timed() {
        return speed == null || speed;
    }

    /** The threads the variants are timed with: {@code --quant-threads}, else 1. */
    int timingThreads() {
        return speedThreads == null ? 1 : speedThreads;
    }

    /**
     * What changes the jar: the mode, the budget, the calibration method and the calibration set
     * (its files' names, sizes and modification times, as the compile cache keys other inputs), and
     * whether (and on how many threads) the report in it was timed.
     */
    String fingerprint() {
        return mode + "/" + budget + "/" + calibrationMethod + "/" + steps + "/" + timed() + "/" + timingThreads() + "/"
                + (calibrate == null ? "" : CalibrationSet.fingerprint(calibrate));
    }
}
