package fsc.ir;

import java.util.Objects;

/**
 * An SSA value: defined once (graph input, constant or node output), typed. Identity is the object:
 * two values with the same name in different graphs are different values. The name is a hint for
 * printing and provenance (e.g. the ONNX tensor name); printers make it unique.
 */
public final class Value {
    private final String name;
    private final TensorType type;

    public Value(String name, TensorType type) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
    }

    public String name() {
        return name;
    }

    public TensorType type() {
        return type;
    }

    public DType dtype() {
        return type.dtype();
    }

    /** A new value with the same name and another type (values themselves never change). */
    public Value withType(TensorType newType) {
        return new Value(name, newType);
    }

    @Override
    public String toString() {
        return "%" + name + ": " + type;
    }
}
