package fsc.ir;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** A value's type: element type and dimensions, printed {@code f32[B,S,384]} ({@code f32[]} for scalars). */
public record TensorType(DType dtype, List<Dim> dims) {

    public TensorType {
        dims = List.copyOf(dims);
        for (Dim d : dims) {
            if (d.coeff() < 0) {
                throw new IllegalArgumentException("negative dimension " + d + " in " + dtype.irName() + dims);
            }
        }
    }

    public static TensorType of(DType dtype, long... dims) {
        return new TensorType(
                dtype, java.util.Arrays.stream(dims).mapToObj(Dim::of).toList());
    }

    public int rank() {
        return dims.size();
    }

    public Dim dim(int i) {
        return dims.get(i);
    }

    public boolean isStatic() {
        return dims.stream().allMatch(Dim::isFixed);
    }

    public Dim elementCount() {
        return Dim.product(dims);
    }

    /** Shape as numbers under a binding of the symbols. */
    public long[] evaluate(Map<String, Long> binding) {
        return dims.stream().mapToLong(d -> d.evaluate(binding)).toArray();
    }

    public TensorType withDims(List<Dim> newDims) {
        return new TensorType(dtype, newDims);
    }

    public TensorType withDType(DType newType) {
        return new TensorType(newType, dims);
    }

    @Override
    public String toString() {
        return dtype.irName() + dims.stream().map(Dim::toString).collect(Collectors.joining(",", "[", "]"));
    }
}
