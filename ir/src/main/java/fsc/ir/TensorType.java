package fsc.ir;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A value's type: element type, dimensions and storage layout, printed {@code f32[B,S,384]} ({@code
 * f32[]} for scalars). {@code layout} is empty for plain row-major data; otherwise it names the
 * physical layout a pass chose (e.g. {@code panel16}: a GEMM weight pre-packed into 16-column panels
 * by {@code layout}), printed as {@code f32[384,384]{panel16}}. The dims stay logical, so shape rules
 * read a laid-out value like a plain one; a {@code panelW} constant's weight holds the packed bytes
 * (see {@link PanelLayout}).
 */
public record TensorType(DType dtype, List<Dim> dims, String layout) {

    private static final java.util.regex.Pattern LAYOUT = java.util.regex.Pattern.compile("[a-z][a-z0-9_]*");

    public TensorType {
        if (!layout.isEmpty() && !LAYOUT.matcher(layout).matches()) {
            throw new IllegalArgumentException("layout '" + layout + "' is not a lower-case identifier");
        }
        dims = List.copyOf(dims);
        for (Dim d : dims) {
            if (d.coeff() < 0) {
                throw new IllegalArgumentException("negative dimension " + d + " in " + dtype.irName() + dims);
            }
        }
    }

    /** A row-major type. */
    public TensorType(DType dtype, List<Dim> dims) {
        this(dtype, dims, "");
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

    /** A row-major type with other dims (a new shape is never in the old layout). */
    public TensorType withDims(List<Dim> newDims) {
        return new TensorType(dtype, newDims);
    }

    /** A row-major type with another element type. */
    public TensorType withDType(DType newType) {
        return new TensorType(newType, dims);
    }

    /** The same dtype and dims in {@code newLayout} ({@code ""} for row-major). */
    public TensorType withLayout(String newLayout) {
        return new TensorType(dtype, dims, newLayout);
    }

    public boolean isRowMajor() {
        return layout.isEmpty();
    }

    @Override
    public String toString() {
        return dtype.irName()
                + dims.stream().map(Dim::toString).collect(Collectors.joining(",", "[", "]"))
                + (layout.isEmpty() ? "" : "{" + layout + "}");
    }
}
