package fsc.frontend.onnx;

import fsc.ir.Attr;
import fsc.ir.Dim;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Lowers an op whose output is a selection of its input's elements fixed at compile time (crop, pad
 * with zeros, reverse runs, keep masked rows, take a diagonal) to one {@code gather} over the flattened
 * input: {@code reshape(x, [n]) → gather(indices) → reshape(out)}. An index of {@link #ZERO} reads a
 * zero appended after the input, so padding needs no other op.
 */
final class StaticSelection {
    private StaticSelection() {}

    /** The index that selects a zero instead of an input element. */
    static final long ZERO = -1;

    /** The fixed dims of {@code v}; fails naming the op when one is symbolic. */
    static long[] fixedShape(NodeContext c, Value v) {
        if (!v.type().isStatic()) {
            throw c.fail("needs a tensor with fixed dimensions, got " + v.type());
        }
        return v.type().dims().stream().mapToLong(Dim::value).toArray();
    }

    static long count(long[] shape) {
        return Arrays.stream(shape).reduce(1, Math::multiplyExact);
    }

    /** Row-major strides of {@code shape}, in elements. */
    static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /**
     * Emits {@code out[i] = flat(x)[indices[i]]} (zero where {@code indices[i] == ZERO}) shaped {@code
     * outShape} and returns it, named {@code name}; {@code tag} keeps the temporaries of several
     * selections of one node apart.
     */
    static Value select(NodeContext c, Value x, long[] indices, long[] outShape, String tag, String name) {
        long n = count(fixedShape(c, x));
        if (indices.length != count(outShape)) {
            throw new IllegalStateException(
                    c.where + ": " + indices.length + " indices for an output of " + Arrays.toString(outShape));
        }
        Value flat = c.emit("reshape", List.of(x), Map.of("shape", dims(n)), c.temp(tag + "flat"));
        if (Arrays.stream(indices).anyMatch(i -> i == ZERO)) {
            HostTensor zero = HostTensor.zeros(x.type().dtype(), new long[] {1});
            Value z = c.constant(tag + "zero", zero.toWeight());
            flat = c.emit("concat", List.of(flat, z), Map.of("axis", new Attr.Int(0)), c.temp(tag + "flat_zero"));
        }
        long[] resolved = Arrays.stream(indices).map(i -> i == ZERO ? n : i).toArray();
        Value idx = c.constant(
                tag + "indices",
                HostTensor.ofLongs(new long[] {resolved.length}, resolved).toWeight());
        Value picked = c.emit("gather", List.of(flat, idx), Map.of("axis", new Attr.Int(0)), c.temp(tag + "picked"));
        return c.emit("reshape", List.of(picked), Map.of("shape", dims(outShape)), name);
    }

    /** {@link #select} as the node's output 0. */
    static void produce(NodeContext c, Value x, long[] indices, long[] outShape) {
        c.define(0, select(c, x, indices, outShape, "", c.outputName(0)));
    }

    static Attr.Dims dims(long... values) {
        return new Attr.Dims(Arrays.stream(values).mapToObj(Dim::of).toList());
    }
}
