package fsc.frontend.onnx;

import fsc.ir.FscException;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the importer knows while it walks the graph: the IR value of every ONNX name defined so far,
 * the graph being built, and the data of constants (some converters read small constants, e.g.
 * ConstantOfShape's value).
 */
final class ImportScope {
    final String file;
    final Path baseDir;
    final GraphBuilder builder;
    private final Map<String, Value> values = new HashMap<>();
    /** ONNX names a node declares but fsc does not produce (e.g. LayerNormalization's Mean), and why. */
    private final Map<String, String> notProduced = new HashMap<>();

    private final Set<String> weightNames = new HashSet<>();
    private final Map<Value, WeightData> constantData = new IdentityHashMap<>();

    ImportScope(String file, Path baseDir, GraphBuilder builder) {
        this.file = file;
        this.baseDir = baseDir;
        this.builder = builder;
    }

    void define(String name, Value v) {
        if (values.put(name, v) != null) {
            throw new IllegalStateException("ONNX value '" + name + "' defined twice; NodeOrder should have failed");
        }
    }

    boolean isDefined(String name) {
        return values.containsKey(name);
    }

    /** The value of ONNX name {@code name}, used at {@code where}. */
    Value lookup(String name, String where) {
        Value v = values.get(name);
        if (v != null) {
            return v;
        }
        String why = notProduced.get(name);
        if (why != null) {
            throw new FscException(where + ": uses '" + name + "', " + why);
        }
        throw new IllegalStateException(where + ": '" + name + "' is undefined after topological sorting");
    }

    boolean isNotProduced(String name) {
        return notProduced.containsKey(name);
    }

    void notProduced(String name, String why) {
        notProduced.put(name, why);
    }

    /** A constant holding {@code data}, stored as a weight named {@code name} (made unique when taken). */
    Value constant(String name, WeightData data) {
        String weight = name;
        for (int k = 2; !weightNames.add(weight); k++) {
            weight = name + "#" + k;
        }
        Value v = builder.constant(name, weight, data);
        constantData.put(v, data);
        return v;
    }

    Optional<WeightData> constantData(Value v) {
        return Optional.ofNullable(constantData.get(v));
    }
}
