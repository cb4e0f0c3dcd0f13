package fsc.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's inputs and outputs, and the check generated code runs before an inference: every
 * declared input present and no other, each with its dtype and rank, fixed dims equal, and each
 * symbol bound to one value within its bound across all inputs.
 */
public final class Signature {
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;
    private final List<String> symbols;

    public Signature(List<TensorSpec> inputs, List<TensorSpec> outputs) {
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        List<String> syms = new ArrayList<>();
        for (TensorSpec s : this.inputs) {
            for (DimSpec d : s.dims()) {
                if (d.isSymbolic() && !syms.contains(d.symbol())) {
                    syms.add(d.symbol());
                }
            }
        }
        this.symbols = List.copyOf(syms);
    }

    public List<TensorSpec> inputs() {
        return inputs;
    }

    public List<TensorSpec> outputs() {
        return outputs;
    }

    public List<String> inputNames() {
        return inputs.stream().map(TensorSpec::name).toList();
    }

    public List<String> outputNames() {
        return outputs.stream().map(TensorSpec::name).toList();
    }

    /** Symbols in order of first appearance among the inputs: the order of {@link #bind}'s result. */
    public List<String> symbols() {
        return symbols;
    }

    /**
     * Validates {@code given} and returns each symbol's value, indexed as {@link #symbols()}.
     *
     * @throws RuntimeFailure one line naming the input and what is wrong
     */
    public long[] bind(Map<String, Tensor> given) {
        long[] values = new long[symbols.size()];
        bind(given, values);
        return values;
    }

    /**
     * As {@link #bind(Map)}, writing the symbols into {@code values} (length {@code symbols().size()}).
     * Allocates nothing when the inputs are valid, so a compiled model's steady state stays free of
     * garbage: no streams or iterators, and messages are built only on the failure path.
     */
    public void bind(Map<String, Tensor> given, long[] values) {
        // Symbols are at least 1, so 0 marks one no input has set yet.
        java.util.Arrays.fill(values, 0L);
        for (int k = 0; k < inputs.size(); k++) {
            TensorSpec spec = inputs.get(k);
            Tensor t = given.get(spec.name());
            if (t == null) {
                throw new RuntimeFailure("missing input '" + spec.name() + "' " + spec);
            }
            if (t.type() != spec.type()) {
                throw new RuntimeFailure(
                        where(spec) + " is " + t.type().shortName() + t.shapeString() + ", expected " + spec);
            }
            if (t.rank() != spec.dims().size()) {
                throw new RuntimeFailure(
                        where(spec) + " has rank " + t.rank() + " " + t.shapeString() + ", expected " + spec);
            }
            for (int i = 0; i < t.rank(); i++) {
                DimSpec d = spec.dims().get(i);
                long actual = t.shape()[i];
                if (!d.isSymbolic()) {
                    if (actual != d.value()) {
                        throw new RuntimeFailure(where(spec) + " dim " + i + " is " + actual + ", expected " + d.value()
                                + " (" + spec + ")");
                    }
                    continue;
                }
                if (actual < 1 || actual > d.value()) {
                    throw new RuntimeFailure(where(spec) + " dim " + i + " (" + d.symbol() + ") is " + actual
                            + ", must be 1.." + d.value() + " (the bound the model was compiled for)");
                }
                int s = symbols.indexOf(d.symbol());
                if (values[s] == 0) {
                    values[s] = actual;
                } else if (values[s] != actual) {
                    throw new RuntimeFailure(where(spec) + " dim " + i + " (" + d.symbol() + ") is " + actual
                            + " but input '" + boundBy(d.symbol(), given) + "' set " + d.symbol() + "=" + values[s]);
                }
            }
        }
        // Every input is present, so more entries than inputs means an unknown name.
        if (given.size() != inputs.size()) {
            for (String name : given.keySet()) {
                if (inputs.stream().noneMatch(s -> s.name().equals(name))) {
                    throw new RuntimeFailure("unknown input '" + name + "'; the model's inputs are " + inputNames());
                }
            }
        }
    }

    private static String where(TensorSpec spec) {
        return "input '" + spec.name() + "'";
    }

    /** The first input whose dimension sets {@code symbol} (for the message of a conflict). */
    private String boundBy(String symbol, Map<String, Tensor> given) {
        for (TensorSpec spec : inputs) {
            for (DimSpec d : spec.dims()) {
                if (d.isSymbolic() && d.symbol().equals(symbol)) {
                    return spec.name();
                }
            }
        }
        throw new IllegalStateException("no input has symbol " + symbol + " among " + given.keySet());
    }

    /** {@link #bind}'s result as a map, for messages and tests. */
    public Map<String, Long> bindNamed(Map<String, Tensor> given) {
        long[] v = bind(given);
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < v.length; i++) {
            out.put(symbols.get(i), v[i]);
        }
        return out;
    }
}
