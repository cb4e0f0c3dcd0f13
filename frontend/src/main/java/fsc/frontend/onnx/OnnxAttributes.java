package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.AttributeProto;
import fsc.frontend.onnx.proto.Onnx.AttributeProto.AttributeType;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.ir.FscException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The attributes of one ONNX node, read with type checks: an attribute of the wrong kind (a FLOAT
 * {@code axis}) is a user error naming the node, not a default silently taken.
 */
final class OnnxAttributes {
    private final Map<String, AttributeProto> byName = new LinkedHashMap<>();
    private final String where;

    OnnxAttributes(NodeProto node, String where) {
        this.where = where;
        for (AttributeProto a : node.getAttributeList()) {
            if (byName.put(a.getName(), a) != null) {
                throw new FscException(where + ": attribute '" + a.getName() + "' is given twice");
            }
            if (a.hasRefAttrName()) {
                throw new FscException(where + ": attribute '" + a.getName()
                        + "' refers to a function attribute, which is only valid inside a function");
            }
        }
    }

    boolean has(String name) {
        return byName.containsKey(name);
    }

    Optional<Long> intValue(String name) {
        return get(name, AttributeType.INT).map(AttributeProto::getI);
    }

    long intValue(String name, long dflt) {
        return intValue(name).orElse(dflt);
    }

    /**
     * A FLOAT attribute widened through its shortest decimal form, so {@code 1e-12f} reads {@code
     * 1.0E-12} in the IR rather than {@code 9.99999996E-13}; narrowing it again gives the same float.
     */
    Optional<Double> floatValue(String name) {
        return get(name, AttributeType.FLOAT).map(a -> Double.parseDouble(Float.toString(a.getF())));
    }

    Optional<String> string(String name) {
        return get(name, AttributeType.STRING).map(a -> a.getS().toString(StandardCharsets.UTF_8));
    }

    Optional<long[]> ints(String name) {
        return get(name, AttributeType.INTS)
                .map(a -> a.getIntsList().stream().mapToLong(Long::longValue).toArray());
    }

    Optional<float[]> floats(String name) {
        return get(name, AttributeType.FLOATS).map(a -> {
            float[] f = new float[a.getFloatsCount()];
            for (int i = 0; i < f.length; i++) {
                f[i] = a.getFloats(i);
            }
            return f;
        });
    }

    /** A STRINGS attribute, each byte string read as UTF-8. */
    Optional<List<String>> strings(String name) {
        return get(name, AttributeType.STRINGS).map(a -> a.getStringsList().stream()
                .map(com.google.protobuf.ByteString::toStringUtf8)
                .toList());
    }

    Optional<TensorProto> tensor(String name) {
        return get(name, AttributeType.TENSOR).map(AttributeProto::getT);
    }

    /** The only attribute's name, for ops such as Constant that take exactly one of several. */
    Optional<String> single() {
        return byName.size() == 1 ? Optional.of(byName.keySet().iterator().next()) : Optional.empty();
    }

    /** A subgraph attribute (If's branches, Loop's and Scan's body). */
    Optional<fsc.frontend.onnx.proto.Onnx.GraphProto> graph(String name) {
        return get(name, AttributeType.GRAPH).map(AttributeProto::getG);
    }

    /** A type attribute (Optional's {@code type}). */
    Optional<fsc.frontend.onnx.proto.Onnx.TypeProto> typeProto(String name) {
        return get(name, AttributeType.TYPE_PROTO).map(AttributeProto::getTp);
    }

    private Optional<AttributeProto> get(String name, AttributeType expected) {
        AttributeProto a = byName.get(name);
        if (a == null) {
            return Optional.empty();
        }
        AttributeType actual = typeOf(a);
        if (actual != expected) {
            throw new FscException(where + ": attribute '" + name + "' must be " + expected + ", got " + actual);
        }
        return Optional.of(a);
    }

    /** The declared type; IR version 1 files lack it, so it is then read off the field that is set. */
    static AttributeType typeOf(AttributeProto a) {
        if (a.hasType() && a.getType() != AttributeType.UNDEFINED) {
            return a.getType();
        }
        if (a.hasF()) {
            return AttributeType.FLOAT;
        }
        if (a.hasI()) {
            return AttributeType.INT;
        }
        if (a.hasS()) {
            return AttributeType.STRING;
        }
        if (a.hasT()) {
            return AttributeType.TENSOR;
        }
        if (a.hasG()) {
            return AttributeType.GRAPH;
        }
        if (a.getFloatsCount() > 0) {
            return AttributeType.FLOATS;
        }
        if (a.getIntsCount() > 0) {
            return AttributeType.INTS;
        }
        if (a.getStringsCount() > 0) {
            return AttributeType.STRINGS;
        }
        return AttributeType.UNDEFINED;
    }
}
