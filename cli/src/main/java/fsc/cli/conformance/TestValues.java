package fsc.cli.conformance;

import fsc.frontend.onnx.OnnxValues;
import fsc.ir.WeightData;
import fsc.runtime.ElemType;
import fsc.runtime.Tensor;
import fsc.runtime.TensorSequence;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Test values that may be sequences or optionals: turned into what a compiled model takes ({@link
 * Tensor}, {@link TensorSequence}, {@link Optional}), and flattened for comparison. A container
 * flattens to an {@code i64[]} count (elements, or 0/1 for an optional) followed by its tensors, so
 * a wrong length or a missing value fails the comparison like a wrong shape.
 */
final class TestValues {
    private TestValues() {}

    /** What a compiled model is fed for {@code v}. */
    static Object feed(OnnxValues.OnnxValue v) {
        return switch (v) {
            case OnnxValues.TensorValue t -> TestPreparation.toTensor(t.data());
            case OnnxValues.SequenceValue s ->
                new TensorSequence(
                        ElemType.valueOf(s.elementType().name()),
                        s.elements().stream().map(TestPreparation::toTensor).toList());
            case OnnxValues.OptionalValue o -> Optional.ofNullable(o.value() == null ? null : feed(o.value()));
        };
    }

    static void flatten(OnnxValues.OnnxValue v, List<TensorValues> out) {
        switch (v) {
            case OnnxValues.TensorValue t -> out.add(TensorValues.of(t.data()));
            case OnnxValues.SequenceValue s -> {
                out.add(count(s.elements().size()));
                for (WeightData w : s.elements()) {
                    out.add(TensorValues.of(w));
                }
            }
            case OnnxValues.OptionalValue o -> {
                out.add(count(o.value() == null ? 0 : 1));
                if (o.value() != null) {
                    flatten(o.value(), out);
                }
            }
        }
    }

    /** A model output, flattened as {@link #flatten(OnnxValues.OnnxValue, List)} does the expected one. */
    static void flatten(Object v, List<TensorValues> out) {
        switch (v) {
            case Tensor t -> out.add(TensorValues.of(t));
            case TensorSequence s -> {
                out.add(count(s.size()));
                s.elements().forEach(t -> out.add(TensorValues.of(t)));
            }
            case Optional<?> o -> {
                out.add(count(o.isPresent() ? 1 : 0));
                o.ifPresent(x -> flatten(x, out));
            }
            default ->
                throw new IllegalStateException(
                        "a model returned a " + v.getClass().getName());
        }
    }

    private static TensorValues count(long n) {
        return new TensorValues("i64", new long[0], MemorySegment.ofArray(new long[] {n}), null);
    }

    static List<TensorValues> flattenAll(List<?> values) {
        List<TensorValues> out = new ArrayList<>();
        for (Object v : values) {
            if (v instanceof OnnxValues.OnnxValue ov) {
                flatten(ov, out);
            } else {
                flatten(v, out);
            }
        }
        return out;
    }
}
