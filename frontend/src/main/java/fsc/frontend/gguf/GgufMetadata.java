package fsc.frontend.gguf;

import fsc.frontend.gguf.GgufValue.ArrayValue;
import fsc.frontend.gguf.GgufValue.BoolValue;
import fsc.frontend.gguf.GgufValue.FloatValue;
import fsc.frontend.gguf.GgufValue.IntValue;
import fsc.frontend.gguf.GgufValue.StringValue;
import fsc.ir.FscException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * The key/value metadata of a GGUF file, in file order, with typed accessors. A missing key or a
 * value of the wrong type is a user error naming the file and the key: a model that lacks {@code
 * llama.block_count} is a bad model, not a compiler bug.
 */
public final class GgufMetadata {
    private final String label;
    private final SequencedMap<String, GgufValue> values;

    GgufMetadata(String label, SequencedMap<String, GgufValue> values) {
        this.label = label;
        this.values = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(values));
    }

    /** Every key and value, in the order of the file. */
    public SequencedMap<String, GgufValue> asMap() {
        return values;
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public Optional<GgufValue> find(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public GgufValue get(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            throw new FscException(label + ": metadata key '" + key + "' is missing");
        }
        return v;
    }

    public String getString(String key) {
        return switch (get(key)) {
            case StringValue s -> s.value();
            case GgufValue v -> throw wrongType(key, v, "a string");
        };
    }

    public String getString(String key, String fallback) {
        return has(key) ? getString(key) : fallback;
    }

    /** Any integer type; {@code uint64} values past {@code Long.MAX_VALUE} are rejected. */
    public long getLong(String key) {
        return switch (get(key)) {
            case IntValue i
            when i.type() == GgufValueType.UINT64 && i.value() < 0 ->
                throw outOfRange(key, Long.toUnsignedString(i.value()), "a long");
            case IntValue i -> i.value();
            case GgufValue v -> throw wrongType(key, v, "an integer");
        };
    }

    /** Any integer type whose value fits in an int. */
    public int getInt(String key) {
        long v = getLong(key);
        if (v != (int) v) {
            throw outOfRange(key, Long.toString(v), "an int");
        }
        return (int) v;
    }

    public int getInt(String key, int fallback) {
        return has(key) ? getInt(key) : fallback;
    }

    public long getLong(String key, long fallback) {
        return has(key) ? getLong(key) : fallback;
    }

    /** A float32 or float64 value. */
    public double getDouble(String key) {
        return switch (get(key)) {
            case FloatValue f -> f.value();
            case GgufValue v -> throw wrongType(key, v, "a float");
        };
    }

    public float getFloat(String key) {
        return (float) getDouble(key);
    }

    public float getFloat(String key, float fallback) {
        return has(key) ? getFloat(key) : fallback;
    }

    public boolean getBool(String key) {
        return switch (get(key)) {
            case BoolValue b -> b.value();
            case GgufValue v -> throw wrongType(key, v, "a bool");
        };
    }

    public boolean getBool(String key, boolean fallback) {
        return has(key) ? getBool(key) : fallback;
    }

    public ArrayValue getArray(String key) {
        return switch (get(key)) {
            case ArrayValue a -> a;
            case GgufValue v -> throw wrongType(key, v, "an array");
        };
    }

    public List<String> getStrings(String key) {
        ArrayValue a = getArray(key);
        return a.items().stream()
                .map(v -> switch (v) {
                    case StringValue s -> s.value();
                    case GgufValue other -> throw wrongElement(key, a, "strings");
                })
                .toList();
    }

    /** An array of float32 or float64 values. */
    public float[] getFloats(String key) {
        ArrayValue a = getArray(key);
        float[] out = new float[a.items().size()];
        for (int i = 0; i < out.length; i++) {
            if (!(a.items().get(i) instanceof FloatValue f)) {
                throw wrongElement(key, a, "floats");
            }
            out[i] = (float) f.value();
        }
        return out;
    }

    /** An array of integers that each fit in an int. */
    public int[] getInts(String key) {
        ArrayValue a = getArray(key);
        int[] out = new int[a.items().size()];
        for (int i = 0; i < out.length; i++) {
            if (!(a.items().get(i) instanceof IntValue v)) {
                throw wrongElement(key, a, "integers");
            }
            if (v.value() != (int) v.value()) {
                throw outOfRange(key + "[" + i + "]", Long.toString(v.value()), "an int");
            }
            out[i] = (int) v.value();
        }
        return out;
    }

    private FscException wrongType(String key, GgufValue v, String expected) {
        return new FscException(label + ": metadata key '" + key + "' is "
                + v.type().name().toLowerCase(Locale.ROOT) + ", expected " + expected);
    }

    private FscException wrongElement(String key, ArrayValue a, String expected) {
        return new FscException(label + ": metadata key '" + key + "' is an array of "
                + a.elementType().name().toLowerCase(Locale.ROOT) + ", expected " + expected);
    }

    private FscException outOfRange(String key, String value, String expected) {
        return new FscException(
                label + ": metadata key '" + key + "' holds " + value + ", which does not fit in " + expected);
    }
}
