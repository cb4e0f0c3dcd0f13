package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.OptionalProto;
import fsc.frontend.onnx.proto.Onnx.SequenceProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.frontend.onnx.proto.Onnx.TypeProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.WeightData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * ONNX test data ({@code input_N.pb}, {@code output_N.pb}) as values: a {@code TensorProto}, or a
 * {@code SequenceProto}/{@code OptionalProto} where the model declares a sequence or optional. The
 * file itself does not say which it is (a sequence's {@code elem_type} reads as a tensor's
 * {@code data_type}), so the model's declared type decides.
 */
public final class OnnxValues {
    private OnnxValues() {}

    /** A test value. */
    public sealed interface OnnxValue {}

    public record TensorValue(WeightData data) implements OnnxValue {}

    /** A sequence of tensors of {@code elementType}. */
    public record SequenceValue(DType elementType, List<WeightData> elements) implements OnnxValue {
        public SequenceValue {
            elements = List.copyOf(elements);
        }
    }

    /** An optional: {@code value} is null when it holds nothing. */
    public record OptionalValue(OnnxValue value) implements OnnxValue {}

    /** How each graph input (initializers excluded) or each output is declared, in order. */
    public static List<TypeProto> declaredTypes(Path model, boolean inputs) {
        ModelProto m = ProtoFiles.parse(model, ModelProto.parser(), "model").message();
        GraphProto g = m.getGraph();
        Set<String> inits = new HashSet<>();
        g.getInitializerList().forEach(t -> inits.add(t.getName()));
        List<TypeProto> out = new ArrayList<>();
        for (ValueInfoProto v : inputs ? g.getInputList() : g.getOutputList()) {
            if (!inputs || !inits.contains(v.getName())) {
                out.add(v.getType());
            }
        }
        return out;
    }

    /** Reads {@code file} as a value of the declared {@code type}. */
    public static OnnxValue read(Path file, TypeProto type) {
        String where = file.getFileName().toString();
        if (type.hasSequenceType()) {
            return sequence(
                    ProtoFiles.parse(file, SequenceProto.parser(), "sequence").message(),
                    type.getSequenceType().getElemType(),
                    file,
                    where);
        }
        if (type.hasOptionalType()) {
            return optional(
                    ProtoFiles.parse(file, OptionalProto.parser(), "optional").message(),
                    type.getOptionalType().getElemType(),
                    file,
                    where);
        }
        return new TensorValue(OnnxTensors.read(file).data());
    }

    /** {@code declared}: the model's element type, which says what an empty sequence holds. */
    private static SequenceValue sequence(SequenceProto s, TypeProto declared, Path file, String where) {
        if (s.getElemType() != SequenceProto.DataType.TENSOR_VALUE) {
            throw new FscException(
                    where + ": a sequence of element kind " + s.getElemType() + "; fsc reads sequences of tensors");
        }
        List<WeightData> elements = new ArrayList<>();
        for (TensorProto t : s.getTensorValuesList()) {
            elements.add(tensor(t, file, where + " element " + elements.size()));
        }
        if (!elements.isEmpty()) {
            return new SequenceValue(elements.getFirst().dtype(), elements);
        }
        if (!declared.hasTensorType()) {
            throw new FscException(where + ": an empty sequence of undeclared element type");
        }
        return new SequenceValue(OnnxDTypes.require(declared.getTensorType().getElemType(), where), elements);
    }

    private static OptionalValue optional(OptionalProto o, TypeProto declared, Path file, String where) {
        return switch (o.getElemType()) {
            case OptionalProto.DataType.UNDEFINED_VALUE -> new OptionalValue(null);
            case OptionalProto.DataType.TENSOR_VALUE ->
                new OptionalValue(new TensorValue(tensor(o.getTensorValue(), file, where)));
            case OptionalProto.DataType.SEQUENCE_VALUE ->
                new OptionalValue(sequence(
                        o.getSequenceValue(),
                        declared.hasSequenceType()
                                ? declared.getSequenceType().getElemType()
                                : TypeProto.getDefaultInstance(),
                        file,
                        where));
            default ->
                throw new FscException(where + ": an optional of element kind " + o.getElemType()
                        + "; fsc reads optional tensors and sequences");
        };
    }

    private static WeightData tensor(TensorProto t, Path file, String where) {
        return TensorData.toWeight(t, file.toAbsolutePath().getParent(), where);
    }
}
