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
 *
 * <p>{@code container} is {@link Container#TENSOR} for every tensor. A container value is typed by
 * the tensors it holds: {@code seq<f32>} (a run-time list of f32 tensors of any shape: {@code dims}
 * is empty, each element carries its own), {@code opt<f32[4]>} (an f32[4] or nothing: {@code dims}
 * are the tensor's), {@code opt<seq<f32>>}.
 */
public record TensorType(DType dtype, List<Dim> dims, String layout, Container container) {

    private static final java.util.regex.Pattern LAYOUT = java.util.regex.Pattern.compile("[a-z][a-z0-9_]*");

    public TensorType {
        java.util.Objects.requireNonNull(container, "container");
        if (container != Container.TENSOR && !layout.isEmpty()) {
            throw new IllegalArgumentException("a " + container + " has no layout");
        }
        if (container.isSequence() && !dims.isEmpty()) {
            throw new IllegalArgumentException("a sequence's elements have run-time shapes; it takes no dims");
        }
        if (!layout.isEmpty() && !LAYOUT.matcher(layout).matches()) {
            throw new IllegalArgumentException("layout '" + layout + "' is not a lower-case identifier");
        }
        dims = List.copyOf(dims);
        for (Dim d : dims) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("negative dimension " + d + " in " + dtype.irName() + dims);
            }
        }
    }

    /** A tensor type in {@code layout}. */
    public TensorType(DType dtype, List<Dim> dims, String layout) {
        this(dtype, dims, layout, Container.TENSOR);
    }

    /** A row-major type. */
    public TensorType(DType dtype, List<Dim> dims) {
        this(dtype, dims, "");
    }

    /** {@code seq<dtype>}: a run-time list of {@code dtype} tensors. */
    public static TensorType sequence(DType dtype) {
        return new TensorType(dtype, List.of(), "", Container.SEQUENCE);
    }

    /** An optional holding a value of {@code inner}'s type (a row-major tensor or a sequence). */
    public static TensorType optional(TensorType inner) {
        return new TensorType(inner.dtype, inner.dims, "", inner.container.wrapped());
    }

    /** Whether this is a plain tensor (not a sequence or optional). */
    public boolean isTensor() {
        return container == Container.TENSOR;
    }

    /** The type an optional holds. */
    public TensorType unwrapped() {
        return new TensorType(dtype, dims, "", container.unwrapped());
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
        return switch (container) {
            case TENSOR -> tensorString();
            case SEQUENCE -> "seq<" + dtype.irName() + ">";
            case OPTIONAL -> "opt<" + tensorString() + ">";
            case OPTIONAL_SEQUENCE -> "opt<seq<" + dtype.irName() + ">>";
        };
    }

    private String tensorString() {
        return dtype.irName()
                + dims.stream().map(Dim::toString).collect(Collectors.joining(",", "[", "]"))
                + (layout.isEmpty() ? "" : "{" + layout + "}");
    }
}
