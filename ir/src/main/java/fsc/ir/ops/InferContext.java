package fsc.ir.ops;

import fsc.ir.Attr;
import fsc.ir.DType;
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

    /**
     * Contents of integer operand {@code i}, which the shape rule cannot do without. When they are
     * only computed at run time the error says so; {@link Ops#infer} adds the operand's name.
     */
    public List<Dim> requireInts(int i, String role) {
        return knownInts(i).orElseThrow(() -> new RuntimeOperand(where, i, role));
    }

    /** Like {@link #requireInts} for operands that must hold plain numbers (axes, steps). */
    public long[] requireFixedInts(int i, String role) {
        return fixed(requireInts(i, role), role);
    }

    /** The numbers in {@code dims}, failing when one is symbolic. */
    public long[] fixed(List<Dim> dims, String role) {
        long[] out = new long[dims.size()];
        for (int k = 0; k < out.length; k++) {
            Dim d = dims.get(k);
            if (!d.isFixed()) {
                throw new FscException(
                        where + ": " + role + " must be plain numbers, got " + dims,
                        "compile for fixed input sizes with --shape NAME=DIMS (fsc run MODEL.onnx does so for"
                                + " the inputs it is given)");
            }
            out[k] = d.value();
        }
        return out;
    }

    /** A user error at this node. */
    public FscException fail(String message) {
        return new FscException(where + ": " + message);
    }

    /** Whether the attribute is set; {@code name} must be one the op declares. */
    public boolean has(String name) {
        Ops.declared(op, name);
        return attrs.containsKey(name);
    }

    /** An integer attribute, its declared default when absent (see {@link AttrSchema}). */
    public long intAttr(String name) {
        return ((Attr.Int) Ops.attrOrDefault(op, attrs, name)).value();
    }

    /** A number attribute (an integer is widened), its declared default when absent. */
    public double floatAttr(String name) {
        Attr a = Ops.attrOrDefault(op, attrs, name);
        return a instanceof Attr.Int i ? i.value() : ((Attr.Float) a).value();
    }

    /** A string attribute, its declared default when absent. */
    public String strAttr(String name) {
        return ((Attr.Str) Ops.attrOrDefault(op, attrs, name)).value();
    }

    /** An element-type attribute, its declared default when absent. */
    public DType typeAttr(String name) {
        return ((Attr.Type) Ops.attrOrDefault(op, attrs, name)).value();
    }

    /** An {@code Ints} attribute, empty when absent. */
    public Optional<long[]> intsAttr(String name) {
        Ops.declared(op, name);
        Attr a = attrs.get(name);
        return switch (a) {
            case null -> Optional.empty();
            case Attr.Ints i -> Optional.of(i.toArray());
            case Attr.Dims d -> Optional.of(fixed(d.values(), "attribute '" + name + "'"));
            default -> throw fail("attribute '" + name + "' must be a list of integers, got " + a);
        };
    }

    /** A {@code Dims} (or {@code Ints}) attribute, empty when absent. */
    public Optional<List<Dim>> dimsAttr(String name) {
        Ops.declared(op, name);
        Attr a = attrs.get(name);
        return switch (a) {
            case null -> Optional.empty();
            case Attr.Dims d -> Optional.of(d.values());
            case Attr.Ints i -> Optional.of(i.values().stream().map(Dim::of).toList());
            default -> throw fail("attribute '" + name + "' must be a list of dimensions, got " + a);
        };
    }

    /** {@code axis} made non-negative for a tensor of {@code rank} dims; fails when out of range. */
    public int axis(long axis, int rank) {
        if (axis < -rank || axis >= rank) {
            throw fail("axis " + axis + " is out of range for rank " + rank);
        }
        return (int) (axis < 0 ? axis + rank : axis);
    }

    /**
     * Thrown when a shape rule needs an operand whose contents are only known at run time; {@link
     * Ops#infer} replaces it with a message that names the operand's value.
     */
    static final class RuntimeOperand extends FscException {
        final int index;
        final String role;

        RuntimeOperand(String where, int index, String role) {
            super(
                    where + ": " + role + " (input " + index + ") is computed at run time, so the output type is"
                            + " unknown at compile time",
                    "bind it with --bind NAME=FILE");
            this.index = index;
            this.role = role;
        }
    }
}
