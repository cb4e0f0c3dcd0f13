package fsc.ir.ops;

import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.TensorType;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

/**
 * What a shape rule sees: operand types, attributes, and for small integer operands their contents
 * when known at compile time (constants, or shape arithmetic on symbolic dims).
 *
 * @param where location for diagnostics, e.g. {@code node '/encoder/Reshape' (reshape)}
 */
public record InferContext(
        String op,
        String where,
        List<TensorType> inputs,
        SortedMap<String, Attr> attrs,
        List<Optional<List<Dim>>> knownInts) {

    public TensorType input(int i) {
        return inputs.get(i);
    }

    public int inputCount() {
        return inputs.size();
    }

    /** Contents of integer operand {@code i} when known at compile time. */
    public Optional<List<Dim>> knownInts(int i) {
        return i < knownInts.size() ? knownInts.get(i) : Optional.empty();
    }

    /** A user error at this node. */
    public FscException fail(String message) {
        return new FscException(where + ": " + message);
    }
}
