package fsc.frontend.onnx;

import fsc.ir.Dim;
import fsc.ir.FscException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The symbolic dimensions of the graph inputs. ONNX {@code dim_param}s are free text ("batch size",
 * "unk__613"); IR symbols are identifiers, so each name is sanitised, and two names that sanitise
 * alike get distinct symbols. Every symbol gets its upper bound from {@link ImportOptions}.
 */
final class Symbols {
    private final ImportOptions options;
    private final Map<String, String> byOnnxName = new HashMap<>();
    private final Map<Repeat, String> repeats = new HashMap<>();
    private final TreeMap<String, Long> bounds = new TreeMap<>();
    private final Map<String, Long> fixed = new HashMap<>();

    private record Repeat(String onnxName, int axis) {}

    Symbols(ImportOptions options) {
        this.options = options;
    }

    /** The symbol for {@code dim_param} {@code onnxName}; the same name always gives the same symbol. */
    String named(String onnxName) {
        String existing = byOnnxName.get(onnxName);
        if (existing != null) {
            return existing;
        }
        String symbol = fresh(sanitize(onnxName));
        byOnnxName.put(onnxName, symbol);
        bounds.put(symbol, options.boundFor(onnxName, symbol));
        return symbol;
    }

    /** Makes {@code dim_param} {@code onnxName} the number {@code value} wherever an input uses it. */
    void fix(String onnxName, long value) {
        fixed.put(onnxName, value);
    }

    /** The dim of {@code dim_param} {@code onnxName}: its number if fixed, else its symbol. */
    Dim dim(String onnxName) {
        Long v = fixed.get(onnxName);
        return v != null ? Dim.of(v) : Dim.sym(named(onnxName));
    }

    /**
     * A {@code dim_param} that is a sum of names and numbers, as exporters write a length made of
     * others ({@code "past_sequence_length + sequence_length"}, {@code "past_sequence_length + 1"}):
     * the same sum of those names' symbols, so it agrees with the dims it is made of. Empty for a
     * plain name. The operators must stand between spaces, so a name with a dash stays a name.
     */
    Optional<Dim> sum(String onnxName) {
        if (!isSum(onnxName)) {
            return Optional.empty();
        }
        String[] parts = onnxName.strip().split("\\s+");
        Dim total = Dim.of(0);
        for (int i = 0; i < parts.length; i += 2) {
            Dim d = parts[i].matches("[0-9]+") ? Dim.of(Long.parseLong(parts[i])) : dim(parts[i]);
            total = i > 0 && parts[i - 1].equals("-") ? total.minus(d) : total.plus(d);
        }
        return Optional.of(total);
    }

    /** Whether {@code onnxName} is {@code term (+|-) term ...}, each term a name or a number. */
    static boolean isSum(String onnxName) {
        String[] parts = onnxName.strip().split("\\s+");
        if (parts.length < 3 || parts.length % 2 == 0) {
            return false;
        }
        for (int i = 0; i < parts.length; i++) {
            boolean ok = i % 2 == 0
                    ? parts[i].matches("[0-9]+|[A-Za-z_][A-Za-z0-9_.]*")
                    : parts[i].equals("+") || parts[i].equals("-");
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * The symbol for axis {@code axis} of an input that already used {@code onnxName} on an earlier
     * axis: {@code <name>_<axis>}, the same for every input with that pattern. It is a different
     * size, so the batch-like default bound does not carry over ({@code [batch, batch]} in MiniLM is
     * batch by sequence).
     */
    String repeated(String onnxName, int axis) {
        Repeat key = new Repeat(onnxName, axis);
        String existing = repeats.get(key);
        if (existing != null) {
            return existing;
        }
        String symbol = fresh(sanitize(onnxName) + "_" + axis);
        repeats.put(key, symbol);
        long bound = options.symbolBounds().getOrDefault(symbol, options.defaultBound());
        bounds.put(symbol, bound);
        return symbol;
    }

    /** A fresh symbol for a dimension the model leaves unnamed: {@code <input>_<axis>}. */
    String unnamed(String input, int axis) {
        return named(input + "_" + axis);
    }

    /** {@code base}, or {@code base_2}, {@code base_3}, ... when taken. */
    private String fresh(String base) {
        String symbol = base;
        for (int k = 2; bounds.containsKey(symbol); k++) {
            symbol = base + "_" + k;
        }
        return symbol;
    }

    /** Every symbol and its bound, sorted. */
    SortedMap<String, Long> bounds() {
        return bounds;
    }

    /** Fails when the options bound a symbol the model does not have: likely a typo. */
    void checkOptions(String file) {
        for (String k : options.symbolBounds().keySet()) {
            if (!byOnnxName.containsKey(k) && !bounds.containsKey(k)) {
                throw new FscException(file + ": a bound is given for symbol '" + k + "', but the model's inputs"
                        + " have no such dimension (symbols: " + String.join(", ", bounds.keySet()) + ")");
            }
        }
    }

    /** {@code [A-Za-z_][A-Za-z0-9_]*}: other characters become {@code _}, a leading digit gets a {@code _}. */
    static String sanitize(String name) {
        String s = name.replaceAll("[^A-Za-z0-9_]", "_");
        if (s.isEmpty() || Character.isDigit(s.charAt(0))) {
            s = "_" + s;
        }
        return s;
    }
}
