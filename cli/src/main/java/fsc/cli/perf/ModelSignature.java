package fsc.cli.perf;

import fsc.ir.FscException;
import fsc.runtime.ElemType;
import fsc.runtime.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A compiled model's inputs as its {@code fsc/model.json} declares them: element type and dims,
 * each dim a number or a product of symbols ({@code "batch"}, {@code "2*S"}), and each symbol's
 * bound. What a benchmark needs to make inputs that fit without the user spelling them out.
 */
public record ModelSignature(String name, List<Input> inputs, Map<String, Long> bounds) {
    /** One input; {@code type} is null when the runtime has no such element type. */
    public record Input(String name, String dtype, ElemType type, List<String> dims) {
        /** e.g. {@code i64[batch,batch_1]}. */
        @Override
        public String toString() {
            return name + " " + dtype + dims.toString().replace(" ", "");
        }
    }

    static final String ENTRY = "fsc/model.json";

    @SuppressWarnings("unchecked")
    public static ModelSignature load(ClassLoader loader) {
        String text;
        try (InputStream in = loader.getResourceAsStream(ENTRY)) {
            if (in == null) {
                throw new FscException("the model jar has no " + ENTRY + " (compiled by an older fsc?)");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new FscException("cannot read " + ENTRY + ": " + e.getMessage());
        }
        Map<String, Object> doc = (Map<String, Object>) Json.parse(text);
        List<Input> inputs = new ArrayList<>();
        for (Object o : (List<Object>) doc.get("inputs")) {
            Map<String, Object> m = (Map<String, Object>) o;
            String dtype = (String) m.get("dtype");
            ElemType type = null;
            for (ElemType t : ElemType.values()) {
                if (t.name().toLowerCase(Locale.ROOT).equals(dtype)) {
                    type = t;
                }
            }
            List<String> dims = new ArrayList<>();
            for (Object d : (List<Object>) m.get("dims")) {
                dims.add(String.valueOf(d));
            }
            inputs.add(new Input((String) m.get("name"), dtype, type, List.copyOf(dims)));
        }
        Map<String, Long> bounds = new LinkedHashMap<>();
        ((Map<String, Object>) doc.get("symbols")).forEach((k, v) -> bounds.put(k, ((Number) v).longValue()));
        return new ModelSignature(String.valueOf(doc.get("source")), List.copyOf(inputs), bounds);
    }

    /** The symbol that is exactly dim {@code axis} of some input (first input first), or null. */
    public String symbolAt(int axis) {
        for (Input in : inputs) {
            if (in.dims().size() > axis && bounds.containsKey(in.dims().get(axis))) {
                return in.dims().get(axis);
            }
        }
        return null;
    }

    /** Value of a dim expression ({@code 28}, {@code batch}, {@code 2*S}) under {@code binding}. */
    public static long evaluate(String dim, Map<String, Long> binding) {
        long v = 1;
        for (String f : dim.split("\\*")) {
            if (f.chars().allMatch(Character::isDigit)) {
                v *= Long.parseLong(f);
            } else {
                Long b = binding.get(f);
                if (b == null) {
                    throw new IllegalStateException("symbol " + f + " is not bound");
                }
                v *= b;
            }
        }
        return v;
    }

    /** The inputs as one line, for messages. */
    public String describeInputs() {
        return inputs.stream().map(Input::toString).toList().toString();
    }
}
