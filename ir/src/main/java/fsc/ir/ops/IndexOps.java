package fsc.ir.ops;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Ops that index or describe shapes: gather, shape, constant_of_shape, dim_values. */
final class IndexOps {
    private IndexOps() {}

    static List<OpDef> defs() {
        return List.of(
                OpSpec.fixed("gather", 2, IndexOps::gather).attrs(AttrSpec.integer("axis", 0)),
                // start/end (ONNX Shape-15): end has no single default, absent means the rank.
                OpSpec.fixed("shape", 1, IndexOps::shape).attrs(AttrSpec.integer("start", 0), AttrSpec.integer("end")),
                // shape: the folded operand; dtype and value: ONNX ConstantOfShape's value tensor, whose
                // default is a float32 zero.
                new OpSpec("constant_of_shape", 0, 1, IndexOps::constantOfShape)
                        .attrs(
                                AttrSpec.dims("shape"),
                                AttrSpec.type("dtype", DType.F32),
                                AttrSpec.number("value", 0.0)),
                // Shape arithmetic whose result a node reads as data (range's start and limit in a
                // decoder with a past cache: P and P+S): the contents, evaluated at run time. shape:
                // the output's fixed dims; absent means one dim holding every value.
                OpSpec.fixed("dim_values", 0, IndexOps::dimValues)
                        .attrs(AttrSpec.dims("values"), AttrSpec.type("dtype", DType.I64), AttrSpec.ints("shape")));
    }

    private static List<TensorType> dimValues(InferContext ctx) {
        List<Dim> values = ctx.dimsAttr("values").orElseThrow(() -> ctx.fail("needs attribute 'values'"));
        DType t = ctx.typeAttr("dtype");
        if (t != DType.I64 && t != DType.I32) {
            throw ctx.fail("dtype must be i64 or i32, got " + t.irName());
        }
        long[] shape = ctx.intsAttr("shape").orElse(new long[] {values.size()});
        TensorType out = TensorType.of(t, shape);
        if (out.elementCount().value() != values.size()) {
            throw ctx.fail(values.size() + " values do not fill shape " + java.util.Arrays.toString(shape));
        }
        return List.of(out);
    }

    private static List<TensorType> gather(InferContext ctx) {
        TensorType data = ctx.input(0);
        TensorType indices = ctx.input(1);
        if (!indices.dtype().isInteger()) {
            throw ctx.fail("indices must be integers, got " + indices);
        }
        if (data.rank() == 0) {
            throw ctx.fail("cannot gather from a scalar");
        }
        int axis = ctx.axis(ctx.intAttr("axis"), data.rank());
        List<Dim> dims = new ArrayList<>(data.dims().subList(0, axis));
        dims.addAll(indices.dims());
        dims.addAll(data.dims().subList(axis + 1, data.rank()));
        return List.of(data.withDims(dims));
    }

    /** The dims {@code shape} returns: ONNX Shape-15 {@code start}/{@code end}, clamped to the rank. */
    static List<Dim> shapeSlice(InferContext ctx, TensorType x) {
        int rank = x.rank();
        long start = ctx.intAttr("start");
        long end = ctx.has("end") ? ctx.intAttr("end") : rank;
        int s = (int) Math.clamp(start < 0 ? start + rank : start, 0, rank);
        int e = (int) Math.clamp(end < 0 ? end + rank : end, 0, rank);
        return e > s ? x.dims().subList(s, e) : List.of();
    }

    private static List<TensorType> shape(InferContext ctx) {
        return List.of(TensorType.of(DType.I64, shapeSlice(ctx, ctx.input(0)).size()));
    }

    private static List<TensorType> constantOfShape(InferContext ctx) {
        List<Dim> dims = ctx.inputCount() == 1
                ? ctx.requireInts(0, "the shape")
                : ctx.dimsAttr("shape")
                        .orElseThrow(() -> ctx.fail("the folded form (no input) needs attribute 'shape'"));
        for (Dim d : dims) {
            if (d.isNegative()) {
                throw ctx.fail("shape " + Shapes.show(dims) + " has a negative dimension");
            }
        }
        return List.of(new TensorType(ctx.typeAttr("dtype"), dims));
    }
}
