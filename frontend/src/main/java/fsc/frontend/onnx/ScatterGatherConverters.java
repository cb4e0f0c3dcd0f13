package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * GatherND, ScatterND and ScatterElements over static shapes, composed from IR ops. Every index
 * tuple becomes one linear row index into the data viewed as {@code [rows, row length]}; GatherND is
 * then a {@code gather} on axis 0. A scatter compares each update's row index with every data row
 * ({@code [updates, rows]} one-hot) and reduces the selected updates together with the data row, so
 * it costs updates × data elements: fine for the small index tensors these ops see at inference
 * (the large KV-cache scatters of decoders are lowered to {@code paged_attention} instead).
 */
final class ScatterGatherConverters {
    private ScatterGatherConverters() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("GatherND", 11, ScatterGatherConverters::gatherNd));
        rules.add(new Rule("ScatterND", 11, ScatterGatherConverters::scatterNd));
        rules.add(new Rule("ScatterElements", 11, ScatterGatherConverters::scatterElements));
        // Scatter-9/-10 is ScatterElements without negative indices or reductions.
        rules.add(new Rule("Scatter", 9, ScatterGatherConverters::scatterElements));
    }

    private static void gatherNd(NodeContext c) {
        Value data = c.input(0);
        Value indices = c.input(1);
        long[] d = fixed(c, data);
        long[] q = fixed(c, indices);
        int b = (int) c.attrs.intValue("batch_dims", 0);
        int m = (int) q[q.length - 1];
        if (b < 0 || b + m > d.length || q.length - 1 < b) {
            throw c.fail("index tuples of " + m + " over " + b + " batch axes do not fit data " + data.type());
        }
        long rows = product(d, b, b + m);
        long rowLength = product(d, b + m, d.length);
        Value linear = linearIndex(c, indices, d, b, m);
        // Batch k's rows start at k · rows in the flattened data.
        List<Long> offsetShape = new ArrayList<>();
        for (int i = 0; i < q.length - 1; i++) {
            offsetShape.add(i < b ? q[i] : 1L);
        }
        long batches = product(q, 0, b);
        long[] offsets = new long[(int) batches];
        for (int k = 0; k < batches; k++) {
            offsets[k] = k * rows;
        }
        linear =
                c.emit("add", List.of(linear, longs(c, "batch_offset", offsetShape, offsets)), Map.of(), c.temp("row"));
        Value flat = reshape(c, data, List.of(batches * rows, rowLength), "rows");
        Value picked = c.emit("gather", List.of(flat, linear), Map.of("axis", new Attr.Int(0)), c.temp("picked"));
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < q.length - 1; i++) {
            out.add(q[i]);
        }
        for (int i = b + m; i < d.length; i++) {
            out.add(d[i]);
        }
        c.define(0, c.emit("reshape", List.of(picked), Map.of("shape", dims(out)), c.outputName(0)));
    }

    private static void scatterNd(NodeContext c) {
        Value data = c.input(0);
        Value indices = c.input(1);
        long[] d = fixed(c, data);
        long[] q = fixed(c, indices);
        int m = (int) q[q.length - 1];
        if (m > d.length) {
            throw c.fail("index tuples of " + m + " exceed the rank of data " + data.type());
        }
        long updates = product(q, 0, q.length - 1);
        Value linear = reshape(c, linearIndex(c, indices, d, 0, m), List.of(updates), "row");
        scatter(c, data, linear, product(d, 0, m), product(d, m, d.length), updates);
    }

    /** Element {@code p} of updates goes to data position {@code p} with axis {@code a} replaced by its index. */
    private static void scatterElements(NodeContext c) {
        Value data = c.input(0);
        Value indices = c.input(1);
        long[] d = fixed(c, data);
        long[] s = fixed(c, indices);
        if (s.length != d.length) {
            throw c.fail("indices " + indices.type() + " must have the rank of data " + data.type());
        }
        long a = c.attrs.intValue("axis", 0);
        int axis = (int) (a < 0 ? a + d.length : a);
        long[] strides = strides(d);
        long count = product(s, 0, s.length);
        long[] base = new long[(int) count];
        long[] pos = new long[s.length];
        for (int e = 0; e < count; e++) {
            long lin = 0;
            for (int i = 0; i < s.length; i++) {
                lin += i == axis ? 0 : pos[i] * strides[i];
            }
            base[e] = lin;
            for (int i = s.length - 1; i >= 0 && ++pos[i] == s[i]; i--) {
                pos[i] = 0;
            }
        }
        Value idx = wrapped(c, indices, longs(c, "axis_size", List.of(), new long[] {d[axis]}));
        Value scaled = c.emit(
                "mul",
                List.of(idx, longs(c, "axis_stride", List.of(), new long[] {strides[axis]})),
                Map.of(),
                c.temp("along"));
        Value linear = c.emit("add", List.of(scaled, longs(c, "base", boxed(s), base)), Map.of(), c.temp("target"));
        linear = reshape(c, linear, List.of(count), "row");
        scatter(c, data, linear, product(d, 0, d.length), 1, count);
    }

    /**
     * Writes {@code updates} (viewed {@code [n, rowLength]}) into rows {@code linear} of data (viewed
     * {@code [rows, rowLength]}). The data row joins the reduction as one more candidate, so max/min
     * need no sentinel value and untouched rows come out unchanged.
     */
    private static void scatter(NodeContext c, Value data, Value linear, long rows, long rowLength, long n) {
        String reduction = c.attrs.string("reduction").orElse("none");
        Value flat = reshape(c, data, List.of(1L, rows, rowLength), "data_rows");
        Value upd = reshape(c, c.input(2), List.of(n, 1L, rowLength), "update_rows");
        long[] ramp = new long[(int) rows];
        for (int i = 0; i < rows; i++) {
            ramp[i] = i;
        }
        Value col = c.emit("unsqueeze", List.of(linear), Map.of("axes", Attr.ints(1)), c.temp("target_col"));
        Value hit = c.emit("equal", List.of(col, longs(c, "rows", List.of(1L, rows), ramp)), Map.of(), c.temp("hit"));
        Value hit3 = c.emit("unsqueeze", List.of(hit), Map.of("axes", Attr.ints(2)), c.temp("hit3"));
        Map<String, Attr> overUpdates = Map.of("axes", Attr.ints(0), "keepdims", new Attr.Int(0));
        DType t = data.dtype();
        Value result;
        switch (reduction) {
            case "none", "add" -> {
                Value zero = ActivationConverters.scalar(c, "zero", t, 0);
                Value picked = c.emit("where", List.of(hit3, upd, zero), Map.of(), c.temp("picked"));
                Value sum = c.emit("reduce_sum", List.of(picked), overUpdates, c.temp("sum"));
                Value rowsOnly = reshape(c, flat, List.of(rows, rowLength), "data_flat");
                if (reduction.equals("add")) {
                    result = c.emit("add", List.of(rowsOnly, sum), Map.of(), c.temp("scattered"));
                } else {
                    Value any = c.emit("reduce_max", List.of(hit), overUpdates, c.temp("written"));
                    Value anyCol =
                            c.emit("unsqueeze", List.of(any), Map.of("axes", Attr.ints(1)), c.temp("written_col"));
                    result = c.emit("where", List.of(anyCol, sum, rowsOnly), Map.of(), c.temp("scattered"));
                }
            }
            case "mul" -> {
                Value one = ActivationConverters.scalar(c, "one", t, 1);
                Value picked = c.emit("where", List.of(hit3, upd, one), Map.of(), c.temp("picked"));
                Value prod = c.emit("reduce_prod", List.of(picked), overUpdates, c.temp("prod"));
                Value rowsOnly = reshape(c, flat, List.of(rows, rowLength), "data_flat");
                result = c.emit("mul", List.of(rowsOnly, prod), Map.of(), c.temp("scattered"));
            }
            case "max", "min" -> {
                Value picked = c.emit("where", List.of(hit3, upd, flat), Map.of(), c.temp("picked"));
                Value all =
                        c.emit("concat", List.of(flat, picked), Map.of("axis", new Attr.Int(0)), c.temp("candidates"));
                result = c.emit("reduce_" + reduction, List.of(all), overUpdates, c.temp("scattered"));
            }
            default -> throw c.fail("unknown reduction '" + reduction + "'");
        }
        c.define(
                0,
                c.emit(
                        "reshape",
                        List.of(result),
                        Map.of("shape", new Attr.Dims(data.type().dims())),
                        c.outputName(0)));
    }

    /**
     * {@code Σ index[..., j] · stride_j} over the last axis of {@code indices}, negative indices
     * counted from the end of their axis; strides are those of data axes {@code [b, b + m)}.
     */
    private static Value linearIndex(NodeContext c, Value indices, long[] d, int b, int m) {
        long[] sizes = new long[m];
        long[] strides = new long[m];
        long stride = 1;
        for (int j = m - 1; j >= 0; j--) {
            sizes[j] = d[b + j];
            strides[j] = stride;
            stride *= d[b + j];
        }
        Value idx = wrapped(c, indices, longs(c, "axis_sizes", List.of((long) m), sizes));
        Value weighted = c.emit(
                "mul",
                List.of(idx, longs(c, "tuple_strides", List.of((long) m), strides)),
                Map.of(),
                c.temp("weighted"));
        int last = indices.type().rank() - 1;
        return c.emit(
                "reduce_sum",
                List.of(weighted),
                Map.of("axes", Attr.ints(last), "keepdims", new Attr.Int(0)),
                c.temp("linear"));
    }

    /** {@code i64(indices)}, with negative entries shifted up by {@code sizes} (broadcast). */
    private static Value wrapped(NodeContext c, Value indices, Value sizes) {
        Value idx = indices.dtype() == DType.I64
                ? indices
                : c.emit("cast", List.of(indices), Map.of("to", new Attr.Type(DType.I64)), c.temp("indices_i64"));
        Value negative =
                c.emit("less", List.of(idx, longs(c, "zero", List.of(), new long[] {0})), Map.of(), c.temp("negative"));
        Value shifted = c.emit("add", List.of(idx, sizes), Map.of(), c.temp("from_end"));
        return c.emit("where", List.of(negative, shifted, idx), Map.of(), c.temp("index"));
    }

    private static long[] fixed(NodeContext c, Value v) {
        long[] out = new long[v.type().rank()];
        for (int i = 0; i < out.length; i++) {
            Dim dim = v.type().dim(i);
            if (!dim.isFixed()) {
                throw c.fail("needs static shapes, got '" + v.name() + "' " + v.type());
            }
            out[i] = dim.value();
        }
        return out;
    }

    private static long product(long[] dims, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    private static long[] strides(long[] dims) {
        long[] s = new long[dims.length];
        long stride = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = stride;
            stride *= dims[i];
        }
        return s;
    }

    private static List<Long> boxed(long[] dims) {
        List<Long> out = new ArrayList<>();
        for (long v : dims) {
            out.add(v);
        }
        return out;
    }

    private static Attr.Dims dims(List<Long> shape) {
        return new Attr.Dims(shape.stream().map(Dim::of).toList());
    }

    private static Value reshape(NodeContext c, Value v, List<Long> shape, String tag) {
        return c.emit("reshape", List.of(v), Map.of("shape", dims(shape)), c.temp(tag));
    }

    private static Value longs(NodeContext c, String tag, List<Long> shape, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return c.constant(tag, new WeightData(DType.I64, new ArrayList<>(shape), b.flip()));
    }
}
