package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.TypeProto;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * ONNX's sequence and optional ops, one IR op each ({@code fsc.ir.ops.SequenceOps}). An absent
 * OptionalHasElement operand is a missing optional: the answer, false, is a constant.
 */
final class SequenceConverters {
    private SequenceConverters() {}

    static void register(List<OnnxOps.Rule> rules) {
        rules.add(new OnnxOps.Rule("Optional", 15, SequenceConverters::optional));
        rules.add(new OnnxOps.Rule("OptionalGetElement", 15, SequenceConverters::getElement));
        rules.add(new OnnxOps.Rule("OptionalHasElement", 15, SequenceConverters::hasElement));
        rules.add(
                new OnnxOps.Rule("SequenceConstruct", 11, c -> c.produce("sequence_construct", c.inputs(), Map.of())));
        rules.add(new OnnxOps.Rule("SequenceEmpty", 11, SequenceConverters::empty));
        rules.add(new OnnxOps.Rule("SequenceErase", 11, c -> c.produce("sequence_erase", c.inputs(), Map.of())));
        rules.add(new OnnxOps.Rule("SequenceInsert", 11, c -> c.produce("sequence_insert", c.inputs(), Map.of())));
        rules.add(new OnnxOps.Rule(
                "SequenceLength", 11, c -> c.produce("sequence_length", List.of(c.input(0)), Map.of())));
        rules.add(new OnnxOps.Rule("SplitToSequence", 11, SequenceConverters::split));
    }

    private static void empty(NodeContext c) {
        DType dtype =
                OnnxDTypes.require((int) (long) c.attrs.intValue("dtype").orElse(1L), c.where + ": attribute 'dtype'");
        c.produce("sequence_empty", List.of(), Map.of("dtype", new Attr.Type(dtype)));
    }

    private static void split(NodeContext c) {
        TreeMap<String, Attr> attrs = new TreeMap<>();
        c.attrs.intValue("axis").ifPresent(a -> attrs.put("axis", new Attr.Int(a)));
        c.attrs.intValue("keepdims").ifPresent(k -> attrs.put("keepdims", new Attr.Int(k)));
        List<Value> in = new ArrayList<>();
        in.add(c.input(0));
        c.optionalInput(1).ifPresent(in::add);
        c.produce("split_to_sequence", in, attrs);
    }

    /** OptionalGetElement of a tensor or sequence (not an optional) is that value: no node. */
    private static void getElement(NodeContext c) {
        Value x = c.input(0);
        if (x.type().container().isOptional()) {
            c.produce("optional_get_element", List.of(x), Map.of());
        } else {
            c.define(0, x);
        }
    }

    /** An absent operand is an empty optional, and a tensor or sequence always holds one: both are constants. */
    private static void hasElement(NodeContext c) {
        if (!c.hasInput(0) || !c.input(0).type().container().isOptional()) {
            long has = c.hasInput(0) ? 1 : 0;
            c.define(
                    0,
                    c.constantNamed(
                            c.outputName(0),
                            HostTensor.ofInts(DType.BOOL, new long[0], has).toWeight()));
            return;
        }
        c.produce("optional_has_element", List.of(c.input(0)), Map.of());
    }

    /** {@code Optional(x)} wraps x; {@code Optional()} is an empty optional of the {@code type} attribute. */
    private static void optional(NodeContext c) {
        if (c.hasInput(0)) {
            c.produce("optional", List.of(c.input(0)), Map.of());
            return;
        }
        TypeProto type = c.attrs.typeProto("type").orElseThrow(() -> c.fail("an empty Optional needs its 'type'"));
        TreeMap<String, Attr> attrs = new TreeMap<>();
        if (type.hasSequenceType() && type.getSequenceType().getElemType().hasTensorType()) {
            attrs.put("sequence", new Attr.Int(1));
            attrs.put(
                    "dtype",
                    new Attr.Type(OnnxDTypes.require(
                            type.getSequenceType().getElemType().getTensorType().getElemType(), c.where)));
        } else if (type.hasTensorType() && type.getTensorType().hasShape()) {
            TypeProto.Tensor t = type.getTensorType();
            List<Dim> dims = new ArrayList<>();
            for (var d : t.getShape().getDimList()) {
                if (!d.hasDimValue()) {
                    throw c.fail("an empty Optional needs a tensor type with numbered dims, got "
                            + InputTypes.show(t.getShape()));
                }
                dims.add(Dim.of(d.getDimValue()));
            }
            attrs.put("dtype", new Attr.Type(OnnxDTypes.require(t.getElemType(), c.where)));
            attrs.put("dims", new Attr.Dims(dims));
        } else {
            throw c.fail("an empty Optional needs a shaped tensor or a sequence 'type', got " + InputTypes.kind(type));
        }
        c.produce("optional", List.of(), attrs);
    }

    /** ONNX Identity: {@code identity} of a tensor, {@code container_identity} of a sequence or optional. */
    static void identity(NodeContext c) {
        Value x = c.input(0);
        c.produce(identityOp(x.type()), List.of(x), Map.of());
    }

    static String identityOp(TensorType t) {
        return t.isTensor() ? "identity" : "container_identity";
    }
}
