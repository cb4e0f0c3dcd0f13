package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.TensorShapeProto;
import fsc.frontend.onnx.proto.Onnx.TypeProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** Declared ONNX value types ({@code ValueInfoProto}) as IR types, and checks against them. */
final class InputTypes {
    private InputTypes() {}

    /**
     * The IR type of graph input {@code in}: {@code dim_value} → fixed, {@code dim_param} → its
     * symbol, neither → a fresh symbol {@code <input>_<axis>}; a {@code dim_param} repeated within
     * the input → {@code <param>_<axis>}.
     */
    static TensorType of(ValueInfoProto in, Symbols symbols, String file) {
        String where = file + ": graph input '" + in.getName() + "'";
        return of(in.getType(), in.getName(), symbols, where);
    }

    /**
     * Graph input {@code in} fixed to {@code shape} (a specialisation the user or {@code fsc run} asked
     * for): the declared rank and every declared number must agree with it.
     */
    static TensorType fixed(ValueInfoProto in, List<Long> shape, String file) {
        String where = file + ": graph input '" + in.getName() + "'";
        TypeProto type = in.getType();
        if (!type.hasTensorType() || !type.getTensorType().hasShape()) {
            throw new FscException(where + " is not a tensor with a declared rank; its shape cannot be fixed");
        }
        TypeProto.Tensor t = type.getTensorType();
        if (!fits(t.getShape(), shape)) {
            throw new FscException(where + " is declared " + show(t.getShape()) + "; it cannot be fixed to "
                    + shape.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]")));
        }
        DType dtype = OnnxDTypes.require(t.getElemType(), where);
        return new TensorType(dtype, shape.stream().map(Dim::of).toList());
    }

    /**
     * A tensor, sequence or optional type ({@link fsc.ir.Container}). A sequence keeps only its
     * element type: its elements' shapes are run-time values, whatever the model declares.
     */
    private static TensorType of(TypeProto type, String name, Symbols symbols, String where) {
        if (type.hasSequenceType()) {
            return TensorType.sequence(sequenceElement(type.getSequenceType().getElemType(), where));
        }
        if (type.hasOptionalType()) {
            TypeProto inner = type.getOptionalType().getElemType();
            if (!inner.hasTensorType() && !inner.hasSequenceType()) {
                throw new FscException(where + " is an optional of " + kind(inner) + "; fsc imports optional tensors"
                        + " and sequences");
            }
            return TensorType.optional(of(inner, name, symbols, where));
        }
        if (!type.hasTensorType()) {
            throw new FscException(where + " has " + kind(type) + "; fsc imports tensors only");
        }
        TypeProto.Tensor t = type.getTensorType();
        DType dtype = OnnxDTypes.require(t.getElemType(), where);
        if (!t.hasShape()) {
            throw new FscException(
                    where + " has no shape; fsc needs at least its rank", "re-export the model with input shapes");
        }
        List<Dim> dims = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<TensorShapeProto.Dimension> declared = t.getShape().getDimList();
        for (int axis = 0; axis < declared.size(); axis++) {
            TensorShapeProto.Dimension d = declared.get(axis);
            if (d.hasDimValue()) {
                if (d.getDimValue() < 0) {
                    throw new FscException(where + ": dimension " + axis + " is " + d.getDimValue());
                }
                dims.add(Dim.of(d.getDimValue()));
            } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
                String param = d.getDimParam();
                Optional<Dim> sum = symbols.sum(param);
                if (sum.isPresent()) {
                    dims.add(sum.get());
                    continue;
                }
                // ONNX Runtime does not hold two axes with one dim_param to be equal, and real exports
                // rely on that (all-MiniLM-L6-v2 declares input_ids as [batch, batch]); a repeat within
                // one input is therefore its own size.
                boolean repeat = !seen.add(param);
                dims.add(repeat ? Dim.sym(symbols.repeated(param, axis)) : symbols.dim(param));
            } else {
                dims.add(Dim.sym(symbols.unnamed(name, axis)));
            }
        }
        return new TensorType(dtype, dims);
    }

    private static DType sequenceElement(TypeProto elem, String where) {
        if (!elem.hasTensorType()) {
            throw new FscException(where + " is a sequence of " + kind(elem) + "; fsc imports sequences of tensors");
        }
        return OnnxDTypes.require(elem.getTensorType().getElemType(), where);
    }

    /** Whether {@code dims} fits the declared shape: same rank, equal where the declared dim is a number. */
    static boolean fits(TensorShapeProto shape, List<Long> dims) {
        if (shape.getDimCount() != dims.size()) {
            return false;
        }
        for (int i = 0; i < dims.size(); i++) {
            TensorShapeProto.Dimension d = shape.getDim(i);
            if (d.hasDimValue() && d.getDimValue() != dims.get(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Fails when a declared output type contradicts the inferred one: a different element type, a
     * different rank, or a different number where both dims are numbers. Symbol names are not
     * compared: the exporter's names for computed dims are arbitrary.
     */
    static void checkDeclared(ValueInfoProto out, TensorType inferred, String where) {
        if (!out.hasType() || !out.getType().hasTensorType()) {
            return;
        }
        TypeProto.Tensor t = out.getType().getTensorType();
        boolean ok = t.getElemType() == 0 || OnnxDTypes.toIr(t.getElemType()).orElse(null) == inferred.dtype();
        if (t.hasShape()) {
            List<TensorShapeProto.Dimension> d = t.getShape().getDimList();
            ok &= d.size() == inferred.rank();
            for (int i = 0; ok && i < d.size(); i++) {
                Dim actual = inferred.dim(i);
                ok = !d.get(i).hasDimValue()
                        || !actual.isFixed()
                        || actual.value() == d.get(i).getDimValue();
            }
        }
        if (!ok) {
            throw new FscException(where + " is declared " + OnnxDTypes.name(t.getElemType())
                    + (t.hasShape() ? show(t.getShape()) : "") + ", but the graph computes " + inferred);
        }
    }

    /** A declared shape as text: {@code [batch,128,?]}. */
    static String show(TensorShapeProto shape) {
        return shape.getDimList().stream()
                .map(d -> d.hasDimValue()
                        ? Long.toString(d.getDimValue())
                        : d.hasDimParam() && !d.getDimParam().isEmpty() ? d.getDimParam() : "?")
                .collect(Collectors.joining(",", "[", "]"));
    }

    /** What kind of non-tensor type {@code type} is, for messages. */
    static String kind(TypeProto type) {
        return switch (type.getValueCase()) {
            case TENSOR_TYPE -> "a tensor type";
            case SEQUENCE_TYPE -> "a sequence type";
            case MAP_TYPE -> "a map type";
            case OPTIONAL_TYPE -> "an optional type";
            case SPARSE_TENSOR_TYPE -> "a sparse tensor type";
            case OPAQUE_TYPE -> "an opaque type";
            case VALUE_NOT_SET -> "no type";
        };
    }
}
