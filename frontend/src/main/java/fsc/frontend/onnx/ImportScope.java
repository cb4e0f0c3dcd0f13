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

    private final Set<String> weightNames;
    private final Map<Value, WeightData> constantData = new IdentityHashMap<>();
    /** Constants that hold bound inputs' values or values folded from them ({@link ImportFolding}). */
    private final Set<Value> specialised = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    /** The enclosing scope of a subgraph's scope; null at the top level. */
    private final ImportScope parent;
    /** A subgraph's outer values, in first-use order, each with the region parameter standing for it. */
    private final Map<Value, Value> captures = new java.util.LinkedHashMap<>();
    /** The model's opsets (subgraphs convert their nodes with them) and declared value types by name. */
    final Opsets opsets;

    final Map<String, fsc.frontend.onnx.proto.Onnx.ValueInfoProto> declared;

    ImportScope(String file, Path baseDir, GraphBuilder builder) {
        this(file, baseDir, builder, null, Map.of());
    }

    ImportScope(
            String file,
            Path baseDir,
            GraphBuilder builder,
            Opsets opsets,
            Map<String, fsc.frontend.onnx.proto.Onnx.ValueInfoProto> declared) {
        this.file = file;
        this.baseDir = baseDir;
        this.builder = builder;
        this.parent = null;
        this.opsets = opsets;
        this.declared = declared;
        this.weightNames = new HashSet<>();
    }

    private ImportScope(ImportScope parent, GraphBuilder builder) {
        this.file = parent.file;
        this.baseDir = parent.baseDir;
        this.builder = builder;
        this.parent = parent;
        this.opsets = parent.opsets;
        this.declared = parent.declared;
        this.weightNames = parent.weightNames;
    }

    /**
     * The scope of a subgraph nested in this one, building into {@code region}: it sees this
     * scope's names, and each it uses becomes a captured parameter ({@link #captures}).
     */
    ImportScope child(GraphBuilder region) {
        return new ImportScope(this, region);
    }

    /** The enclosing scope; null at the top level. */
    ImportScope parent() {
        return parent;
    }

    /** The outer values this subgraph scope used, each with its parameter, in first-use order. */
    Map<Value, Value> captures() {
        return captures;
    }

    /** Whether {@code name} resolves here or in an enclosing scope. */
    boolean isVisible(String name) {
        return values.containsKey(name) || (parent != null && parent.isVisible(name));
    }

    /** The parameter standing for outer value {@code outer} in this subgraph, made on first use. */
    private Value capture(String name, Value outer) {
        Value p = captures.get(outer);
        if (p == null) {
            p = new Value(name, outer.type());
            captures.put(outer, p);
            Value param = p;
            parent.builder.known().get(outer).ifPresent(k -> builder.known().put(param, k));
            WeightData data = parent.constantData.get(outer);
            if (data != null) {
                constantData.put(p, data);
            }
            if (parent.isSpecialised(outer)) {
                specialised.add(p);
            }
        }
        return p;
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
        if (parent != null && parent.isVisible(name)) {
            Value p = capture(name, parent.lookup(name, where));
            values.put(name, p);
            return p;
        }
        String why = notProduced.get(name);
        for (ImportScope s = this; why == null && s.parent != null; s = s.parent) {
            why = s.parent.notProduced.get(name);
        }
        if (why != null) {
            throw new FscException(where + ": uses '" + name + "', " + why);
        }
        throw new IllegalStateException(where + ": '" + name + "' is undefined after topological sorting");
    }

    boolean isNotProduced(String name) {
        return notProduced.containsKey(name) || (parent != null && parent.isNotProduced(name));
    }

    void notProduced(String name, String why) {
        notProduced.put(name, why);
    }

    /** A constant holding {@code data}, stored as a weight named {@code name} (made unique when taken). */
    Value constant(String name, WeightData data) {
        if (parent != null) {
            // Weights live in the top-level graph; a subgraph captures its constants.
            return capture(name, parent.constant(name, data));
        }
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

    /** Marks {@code v} (a constant) as holding a bound input's value or one computed from it. */
    void markSpecialised(Value v) {
        specialised.add(v);
    }

    /** Whether {@code v} holds a bound input's value or one computed from it at import. */
    boolean isSpecialised(Value v) {
        return specialised.contains(v) || (parent != null && parent.isSpecialised(v));
    }
}
