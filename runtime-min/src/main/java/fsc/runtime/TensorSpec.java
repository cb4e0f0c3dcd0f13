package fsc.runtime;

import java.util.List;
import java.util.stream.Collectors;

/** Name, element type and dimensions of a model input or output. */
public record TensorSpec(String name, ElemType type, List<DimSpec> dims) {
    public TensorSpec {
        dims = List.copyOf(dims);
    }

    public static TensorSpec of(String name, ElemType type, DimSpec... dims) {
        return new TensorSpec(name, type, List.of(dims));
    }

    /** As written in messages: {@code i64[B<=8,S<=512]}. */
    @Override
    public String toString() {
        return type.shortName() + dims.stream().map(DimSpec::toString).collect(Collectors.joining(",", "[", "]"));
    }
}
