package fsc.ir.ops;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

/**
 * Compile-time contents of small integer tensors, as lists of {@link Dim} in row-major order.
 *
 * <p>ONNX exports compute reshape targets at run time: {@code Shape(x) → Gather(1) → Unsqueeze →
 * Concat([.., 12, 32]) → Reshape}. With symbolic dims these contents are still known — {@code [B, S,
 * 12, 32]} — so evaluating them node by node at import gives every value a full type. Only tensors
 * of at most {@link #MAX_ELEMENTS} elements of type i32/i64 (and bool for comparisons) are tracked;
 * anything not computable here stays unknown (empty), which is not an error.
 */
public final class ShapeValues {
    private ShapeValues() {}

    public static final int MAX_ELEMENTS = 64;

    /** Contents of a small integer constant, or empty when the weight is not one. */
    public static Optional<List<Dim>> fromWeight(WeightData w) {
        if ((w.dtype() != DType.I64 && w.dtype() != DType.I32) || w.elementCount() > MAX_ELEMENTS) {
            return Optional.empty();
        }
        ByteBuffer b = w.view();
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < w.elementCount(); i++) {
            out.add(Dim.of(w.dtype() == DType.I64 ? b.getLong(i * 8) : b.getInt(i * 4)));
        }
        return Optional.of(out);
    }

    /**
     * Contents of the output of {@code op} given its operands (looked up in {@code known}) and its
     * already inferred output types; empty when unknown or not a small integer tensor.
     */
    public static Optional<List<Dim>> evaluate(
            String op,
            List<Value> inputs,
            SortedMap<String, Attr> attrs,
            List<TensorType> outputTypes,
            KnownValues known) {
        if (outputTypes.size() != 1 || !tracked(outputTypes.getFirst())) {
            return Optional.empty();
        }
        TensorType out = outputTypes.getFirst();
        List<Optional<List<Dim>>> in = inputs.stream().map(known::get).toList();
        Optional<List<Dim>> result =
                compute(op, inputs.stream().map(Value::type).toList(), in, attrs, out);
        return result.filter(r -> r.size() == out.elementCount().value());
    }

    private static boolean tracked(TensorType t) {
        boolean intLike = t.dtype() == DType.I64 || t.dtype() == DType.I32 || t.dtype() == DType.BOOL;
        return intLike && t.isStatic() && t.elementCount().value() <= MAX_ELEMENTS;
    }

    private static Optional<List<Dim>> compute(
            String op,
            List<TensorType> types,
            List<Optional<List<Dim>>> in,
            SortedMap<String, Attr> attrs,
            TensorType out) {
        return switch (op) {
            case "shape" -> Optional.of(shapeOf(types.getFirst(), attrs));
            // Same elements in the same order, only the type or shape changes.
            case "identity", "reshape", "squeeze", "unsqueeze" -> in.getFirst();
            case "cast" -> out.dtype() == DType.BOOL ? Optional.empty() : in.getFirst();
            case "gather" -> gather(types, in, attrs);
            case "concat" -> concat(types, in, attrs);
            case "slice" -> slice(types, in, attrs);
            case "add" -> binary(types, in, out, (a, b) -> Optional.of(Shapes.add(a, b)));
            case "sub" -> binary(types, in, out, (a, b) -> Optional.of(Shapes.subtract(a, b)));
            case "mul" -> binary(types, in, out, (a, b) -> Optional.of(Shapes.multiply(a, b)));
            case "div" -> binary(types, in, out, ShapeValues::divide);
            case "equal" -> binary(types, in, out, ShapeValues::equal);
            case "less", "greater", "less_or_equal", "greater_or_equal" ->
                binary(types, in, out, (a, b) -> compare(op, a, b));
            case "max" -> binary(types, in, out, (a, b) -> pick(a, b, true));
            case "min" -> binary(types, in, out, (a, b) -> pick(a, b, false));
            case "neg" -> in.getFirst().flatMap(ShapeValues::negate);
            case "expand" -> expand(types, in, out);
            case "range" -> range(in, out);
            case "where" -> where(types, in, out);
            case "not" -> in.getFirst().flatMap(ShapeValues::logicalNot);
            case "and", "or" -> binary(types, in, out, (a, b) -> logical(op.equals("and"), a, b));
            case "mod" ->
                declaredInt("mod", attrs, "fmod") != 0
                        ? Optional.empty()
                        : binary(types, in, out, ShapeValues::floorMod);
            case "constant_of_shape" -> constantOfShape(attrs, out);
            case "dim_values" -> Optional.of(dimsAttr(attrs, "values"));
            default -> Optional.empty();
        };
    }

    private static List<Dim> shapeOf(TensorType x, SortedMap<String, Attr> attrs) {
        int rank = x.rank();
        long start = declaredInt("shape", attrs, "start");
        long end = attrs.containsKey("end") ? declaredInt("shape", attrs, "end") : rank;
        int s = (int) Math.clamp(start < 0 ? start + rank : start, 0, rank);
        int e = (int) Math.clamp(end < 0 ? end + rank : end, 0, rank);
        return e > s ? x.dims().subList(s, e) : List.of();
    }

    private static Optional<List<Dim>> gather(
            List<TensorType> types, List<Optional<List<Dim>>> in, SortedMap<String, Attr> attrs) {
        TensorType dataType = types.get(0);
        if (in.get(0).isEmpty() || in.get(1).isEmpty() || dataType.rank() == 0) {
            return Optional.empty();
        }
        List<Dim> data = in.get(0).get();
        long[] idx = fixedOrNull(in.get(1).get());
        long[] shape = fixedOrNull(dataType.dims());
        if (idx == null || shape == null) {
            return Optional.empty();
        }
        int rank = shape.length;
        long a = declaredInt("gather", attrs, "axis");
        int axis = (int) (a < 0 ? a + rank : a);
        long axisLen = shape[axis];
        long outer = product(shape, 0, axis);
        long inner = product(shape, axis + 1, rank);
        List<Dim> out = new ArrayList<>();
        for (long o = 0; o < outer; o++) {
            for (long i : idx) {
                long j = i < 0 ? i + axisLen : i;
                if (j < 0 || j >= axisLen) {
                    return Optional.empty();
                }
                for (long k = 0; k < inner; k++) {
                    out.add(data.get((int) ((o * axisLen + j) * inner + k)));
                }
            }
        }
        return Optional.of(out);
    }

    private static Optional<List<Dim>> concat(
            List<TensorType> types, List<Optional<List<Dim>>> in, SortedMap<String, Attr> attrs) {
        int rank = types.getFirst().rank();
        long a = declaredInt("concat", attrs, "axis");
        int axis = (int) (a < 0 ? a + rank : a);
        List<long[]> shapes = new ArrayList<>();
        for (int k = 0; k < types.size(); k++) {
            long[] s = fixedOrNull(types.get(k).dims());
            if (s == null || in.get(k).isEmpty()) {
                return Optional.empty();
            }
            shapes.add(s);
        }
        long outer = product(shapes.getFirst(), 0, axis);
        List<Dim> out = new ArrayList<>();
        for (long o = 0; o < outer; o++) {
            for (int k = 0; k < types.size(); k++) {
                long chunk = product(shapes.get(k), axis, rank);
                List<Dim> src = in.get(k).get();
                out.addAll(src.subList((int) (o * chunk), (int) ((o + 1) * chunk)));
            }
        }
        return Optional.of(out);
    }

    /** Slices of 1-D contents, the only case shape arithmetic needs. */
    private static Optional<List<Dim>> slice(
            List<TensorType> types, List<Optional<List<Dim>>> in, SortedMap<String, Attr> attrs) {
        if (types.getFirst().rank() != 1 || in.getFirst().isEmpty()) {
            return Optional.empty();
        }
        List<Dim> data = in.getFirst().get();
        long[] starts;
        long[] ends;
        long[] steps;
        if (types.size() == 1) {
            starts = fixedOrNull(dimsAttr(attrs, "starts"));
            ends = fixedOrNull(dimsAttr(attrs, "ends"));
            steps = attrs.get("steps") instanceof Attr.Ints s ? s.toArray() : null;
        } else {
            starts = types.size() > 1 ? in.get(1).map(ShapeValues::fixedOrNull).orElse(null) : null;
            ends = types.size() > 2 ? in.get(2).map(ShapeValues::fixedOrNull).orElse(null) : null;
            steps = types.size() > 4 ? in.get(4).map(ShapeValues::fixedOrNull).orElse(null) : null;
        }
        if (starts == null || ends == null || starts.length != 1 || ends.length != 1) {
            return Optional.empty();
        }
        long step = steps == null ? 1 : steps[0];
        if (step == 0) {
            return Optional.empty();
        }
        SliceOp.Range r = SliceOp.clamp(data.size(), starts[0], ends[0], step);
        List<Dim> out = new ArrayList<>();
        for (long i = 0; i < r.count(); i++) {
            out.add(data.get((int) (r.start() + i * step)));
        }
        return Optional.of(out);
    }

    /** An element-wise op with numpy broadcasting on fixed-shape contents. */
    private static Optional<List<Dim>> binary(
            List<TensorType> types,
            List<Optional<List<Dim>>> in,
            TensorType out,
            java.util.function.BiFunction<Dim, Dim, Optional<Dim>> f) {
        if (in.get(0).isEmpty() || in.get(1).isEmpty()) {
            return Optional.empty();
        }
        long[] outShape = fixedOrNull(out.dims());
        long[] aShape = fixedOrNull(types.get(0).dims());
        long[] bShape = fixedOrNull(types.get(1).dims());
        if (outShape == null || aShape == null || bShape == null) {
            return Optional.empty();
        }
        List<Dim> a = in.get(0).get();
        List<Dim> b = in.get(1).get();
        long count = product(outShape, 0, outShape.length);
        List<Dim> result = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            Optional<Dim> r = f.apply(
                    a.get((int) broadcastIndex(outShape, aShape, i)), b.get((int) broadcastIndex(outShape, bShape, i)));
            if (r.isEmpty()) {
                return Optional.empty();
            }
            result.add(r.get());
        }
        return Optional.of(result);
    }

    private static Optional<List<Dim>> where(List<TensorType> types, List<Optional<List<Dim>>> in, TensorType out) {
        if (in.stream().anyMatch(Optional::isEmpty)) {
            return Optional.empty();
        }
        long[] outShape = fixedOrNull(out.dims());
        long[][] shapes = new long[3][];
        for (int k = 0; k < 3; k++) {
            shapes[k] = fixedOrNull(types.get(k).dims());
            if (shapes[k] == null || outShape == null) {
                return Optional.empty();
            }
        }
        List<Dim> result = new ArrayList<>();
        for (long i = 0; i < product(outShape, 0, outShape.length); i++) {
            Dim c = in.get(0).get().get((int) broadcastIndex(outShape, shapes[0], i));
            if (!c.isFixed()) {
                return Optional.empty();
            }
            int branch = c.value() != 0 ? 1 : 2;
            result.add(in.get(branch).get().get((int) broadcastIndex(outShape, shapes[branch], i)));
        }
        return Optional.of(result);
    }

    private static Optional<List<Dim>> constantOfShape(SortedMap<String, Attr> attrs, TensorType out) {
        double v =
                switch (Ops.attrOrDefault("constant_of_shape", attrs, "value")) {
                    case Attr.Int i -> i.value();
                    case Attr.Float f -> f.value();
                    default -> throw new IllegalStateException("constant_of_shape: value is not a number");
                };
        if (v != Math.rint(v)) {
            return Optional.empty();
        }
        return Optional.of(Collections.nCopies((int) out.elementCount().value(), Dim.of((long) v)));
    }

    /** Integer division truncating like ONNX when both sides are fixed; exact division otherwise. */
    /** Boolean contents are 0 and 1; only fixed ones are negated. */
    private static Optional<List<Dim>> logicalNot(List<Dim> a) {
        List<Dim> r = new ArrayList<>();
        for (Dim d : a) {
            if (!d.isFixed()) {
                return Optional.empty();
            }
            r.add(Dim.of(d.value() != 0 ? 0 : 1));
        }
        return Optional.of(r);
    }

    private static Optional<Dim> logical(boolean and, Dim a, Dim b) {
        if (!a.isFixed() || !b.isFixed()) {
            return Optional.empty();
        }
        boolean x = a.value() != 0;
        boolean y = b.value() != 0;
        return Optional.of(Dim.of((and ? x && y : x || y) ? 1 : 0));
    }

    /** Integer Mod with the divisor's sign (ONNX {@code fmod = 0}), on fixed values only. */
    private static Optional<Dim> floorMod(Dim a, Dim b) {
        if (!a.isFixed() || !b.isFixed() || b.value() == 0) {
            return Optional.empty();
        }
        return Optional.of(Dim.of(Math.floorMod(a.value(), b.value())));
    }

    private static Optional<Dim> divide(Dim a, Dim b) {
        if (a.isFixed() && b.isFixed()) {
            return b.value() == 0 ? Optional.empty() : Optional.of(Dim.of(a.value() / b.value()));
        }
        return a.dividedBy(b);
    }

    /**
     * Equality of contents, decided on the difference: a symbol is a size of at least 1, so {@code S}
     * differs from 0 and from the -1 that exporters compare shape entries against, and {@code P+S}
     * from {@code P}.
     */
    private static Optional<Dim> equal(Dim a, Dim b) {
        Dim d = a.minus(b);
        if (d.isFixed()) {
            return Optional.of(Dim.of(d.value() == 0 ? 1 : 0));
        }
        if (d.isNegative() || d.negate().isNegative()) {
            return Optional.of(Dim.of(0));
        }
        return Optional.empty();
    }

    /**
     * Whether {@code a >= b} provably: the difference {@code a - b} is a number, or a sum whose sign
     * holds for every size of at least 1 of its symbols ({@code S >= 1}, {@code P+S >= P+1}). Empty
     * when it depends on the run-time sizes.
     */
    private static Optional<Boolean> atLeast(Dim a, Dim b) {
        Dim d = a.minus(b);
        if (d.isNonNegative()) {
            return Optional.of(true);
        }
        if (d.isNegative()) {
            return Optional.of(false);
        }
        return Optional.empty();
    }

    private static Optional<Dim> compare(String op, Dim a, Dim b) {
        Optional<Boolean> r =
                switch (op) {
                    case "greater_or_equal" -> atLeast(a, b);
                    case "less" -> atLeast(a, b).map(ge -> !ge);
                    case "less_or_equal" -> atLeast(b, a);
                    default -> atLeast(b, a).map(ge -> !ge);
                };
        return r.map(v -> Dim.of(v ? 1 : 0));
    }

    /** The larger ({@code max}) or smaller of two contents when provable. */
    private static Optional<Dim> pick(Dim a, Dim b, boolean max) {
        if (atLeast(a, b).orElse(false)) {
            return Optional.of(max ? a : b);
        }
        if (atLeast(b, a).orElse(false)) {
            return Optional.of(max ? b : a);
        }
        return Optional.empty();
    }

    private static Optional<List<Dim>> negate(List<Dim> values) {
        List<Dim> out = new ArrayList<>();
        for (Dim d : values) {
            out.add(d.negate());
        }
        return Optional.of(out);
    }

    private static Optional<List<Dim>> expand(List<TensorType> types, List<Optional<List<Dim>>> in, TensorType out) {
        long[] outShape = fixedOrNull(out.dims());
        long[] inShape = fixedOrNull(types.getFirst().dims());
        if (in.getFirst().isEmpty() || outShape == null || inShape == null) {
            return Optional.empty();
        }
        List<Dim> result = new ArrayList<>();
        for (long i = 0; i < product(outShape, 0, outShape.length); i++) {
            result.add(in.getFirst().get().get((int) broadcastIndex(outShape, inShape, i)));
        }
        return Optional.of(result);
    }

    /** {@code range(start, limit, delta)} with a fixed delta (the output type fixed the length): {@code P, P+1, ...}. */
    private static Optional<List<Dim>> range(List<Optional<List<Dim>>> in, TensorType out) {
        if (in.get(0).isEmpty() || in.get(2).isEmpty()) {
            return Optional.empty();
        }
        Dim start = in.get(0).get().getFirst();
        Dim delta = in.get(2).get().getFirst();
        if (!delta.isFixed() || !out.isStatic()) {
            return Optional.empty();
        }
        List<Dim> result = new ArrayList<>();
        for (long i = 0; i < out.elementCount().value(); i++) {
            result.add(start.plus(Dim.of(i * delta.value())));
        }
        return Optional.of(result);
    }

    /** Row-major index into a tensor of {@code inShape} that broadcasts to element {@code flat} of {@code outShape}. */
    static long broadcastIndex(long[] outShape, long[] inShape, long flat) {
        long index = 0;
        long stride = 1;
        int offset = outShape.length - inShape.length;
        for (int d = outShape.length - 1; d >= 0; d--) {
            long coord = flat % outShape[d];
            flat /= outShape[d];
            int k = d - offset;
            if (k >= 0) {
                if (inShape[k] != 1) {
                    index += coord * stride;
                }
                stride *= inShape[k];
            }
        }
        return index;
    }

    private static long[] fixedOrNull(List<Dim> dims) {
        if (dims == null) {
            return null;
        }
        long[] out = new long[dims.size()];
        for (int i = 0; i < out.length; i++) {
            if (!dims.get(i).isFixed()) {
                return null;
            }
            out[i] = dims.get(i).value();
        }
        return out;
    }

    private static long product(long[] shape, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return p;
    }

    /** {@code op}'s integer attribute {@code name}, its declared default when absent. */
    private static long declaredInt(String op, SortedMap<String, Attr> attrs, String name) {
        return ((Attr.Int) Ops.attrOrDefault(op, attrs, name)).value();
    }

    private static List<Dim> dimsAttr(SortedMap<String, Attr> attrs, String name) {
        return switch (attrs.get(name)) {
            case Attr.Dims d -> d.values();
            case Attr.Ints i -> i.values().stream().map(Dim::of).toList();
            case null, default -> null;
        };
    }
}
