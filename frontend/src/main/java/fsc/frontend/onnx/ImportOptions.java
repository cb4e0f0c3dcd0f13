package fsc.frontend.onnx;

import fsc.ir.WeightData;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How to import a model.
 *
 * @param symbolBounds upper bounds for symbolic dimensions, by ONNX {@code dim_param} name or by the
 *     sanitised symbol name; memory planning sizes buffers for these bounds
 * @param defaultBound the bound of a symbol not named in {@code symbolBounds} (batch-like symbols get
 *     {@link #DEFAULT_BATCH_BOUND} instead, see {@link #boundFor})
 * @param bindings graph inputs to replace by constants ({@code --bind NAME=FILE}): they become
 *     weights, so shape arithmetic on them is evaluated at compile time
 * @param shapes graph inputs whose declared shape is replaced by a fixed one ({@code --shape
 *     NAME=1x3x224x224}, and {@code fsc run}'s first-shape specialisation): every symbolic dim of the
 *     input becomes the given number; the rank and the declared numbers must agree
 * @param fixedAxes named input axes whose {@code dim_param} becomes a number in every input that
 *     uses it, sums included ({@code fsc compile --decoder} fixes the new tokens per row to one)
 * @param optionalBindings as {@code bindings}, but only where the model has such an input: inputs a
 *     compile mode binds by convention ({@code --decoder}: a merged export's {@code use_cache_branch})
 */
public record ImportOptions(
        SortedMap<String, Long> symbolBounds,
        long defaultBound,
        SortedMap<String, WeightData> bindings,
        SortedMap<String, List<Long>> shapes,
        List<FixedAxis> fixedAxes,
        SortedMap<String, WeightData> optionalBindings) {

    /** Axis {@code axis} of graph input {@code input} is {@code value}, and so is its dim_param everywhere. */
    public record FixedAxis(String input, int axis, long value) {}

    /** A sequence length of 512 covers BERT-family encoders (their position tables stop there). */
    public static final long DEFAULT_BOUND = 512;

    /** Batches are small for an on-device inference compiler; 64 keeps the default arena modest. */
    public static final long DEFAULT_BATCH_BOUND = 64;

    public ImportOptions {
        symbolBounds = new TreeMap<>(symbolBounds);
        bindings = new TreeMap<>(bindings);
        shapes = new TreeMap<>(shapes);
        fixedAxes = List.copyOf(fixedAxes);
        optionalBindings = new TreeMap<>(optionalBindings);
        if (defaultBound < 1) {
            throw new IllegalArgumentException("default bound must be at least 1, got " + defaultBound);
        }
        symbolBounds.forEach((k, v) -> {
            if (v < 1) {
                throw new IllegalArgumentException("bound of " + k + " must be at least 1, got " + v);
            }
        });
    }

    public static ImportOptions defaults() {
        return new ImportOptions(
                new TreeMap<>(), DEFAULT_BOUND, new TreeMap<>(), new TreeMap<>(), List.of(), new TreeMap<>());
    }

    /** These options with {@code symbol} bounded by {@code bound}. */
    public ImportOptions withBound(String symbol, long bound) {
        TreeMap<String, Long> m = new TreeMap<>(symbolBounds);
        m.put(symbol, bound);
        return new ImportOptions(m, defaultBound, bindings, shapes, fixedAxes, optionalBindings);
    }

    public ImportOptions withDefaultBound(long bound) {
        return new ImportOptions(symbolBounds, bound, bindings, shapes, fixedAxes, optionalBindings);
    }

    /** These options with graph input {@code input} bound to the constant {@code data}. */
    public ImportOptions withBinding(String input, WeightData data) {
        TreeMap<String, WeightData> m = new TreeMap<>(bindings);
        m.put(input, data);
        return new ImportOptions(symbolBounds, defaultBound, m, shapes, fixedAxes, optionalBindings);
    }

    public ImportOptions withBindings(Map<String, WeightData> more) {
        TreeMap<String, WeightData> m = new TreeMap<>(bindings);
        m.putAll(more);
        return new ImportOptions(symbolBounds, defaultBound, m, shapes, fixedAxes, optionalBindings);
    }

    /** These options with graph input {@code input} fixed to {@code shape}. */
    public ImportOptions withShape(String input, List<Long> shape) {
        TreeMap<String, List<Long>> m = new TreeMap<>(shapes);
        m.put(input, List.copyOf(shape));
        return new ImportOptions(symbolBounds, defaultBound, bindings, m, fixedAxes, optionalBindings);
    }

    /** These options with axis {@code axis} of input {@code input} fixed to {@code value} where it is a dim_param. */
    public ImportOptions withFixedAxis(String input, int axis, long value) {
        List<FixedAxis> m = new java.util.ArrayList<>(fixedAxes);
        m.add(new FixedAxis(input, axis, value));
        return new ImportOptions(symbolBounds, defaultBound, bindings, shapes, m, optionalBindings);
    }

    /** These options with graph input {@code input}, if the model has it, bound to {@code data}. */
    public ImportOptions withOptionalBinding(String input, WeightData data) {
        TreeMap<String, WeightData> m = new TreeMap<>(optionalBindings);
        m.put(input, data);
        return new ImportOptions(symbolBounds, defaultBound, bindings, shapes, fixedAxes, m);
    }

    /**
     * The bound of a symbol: given by its ONNX name or its sanitised name, else 64 for batch-like
     * names ({@code batch}, {@code batch_size}, {@code N}, {@code B}), else {@link #defaultBound}.
     */
    public long boundFor(String onnxName, String symbol) {
        Long b = symbolBounds.get(onnxName);
        if (b == null) {
            b = symbolBounds.get(symbol);
        }
        if (b != null) {
            return b;
        }
        return isBatchLike(onnxName) ? Math.min(DEFAULT_BATCH_BOUND, defaultBound) : defaultBound;
    }

    static boolean isBatchLike(String name) {
        return name.toLowerCase(Locale.ROOT).contains("batch") || name.equals("N") || name.equals("B");
    }
}
