package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.WeightData;
import fsc.ir.interp.HostTensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Small helpers for building test graphs: weights from literals, types, attribute maps. */
final class TestGraphs {
    private TestGraphs() {}

    static WeightData f32(long[] shape, float... values) {
        return HostTensor.ofFloats(shape, values).toWeight();
    }

    static WeightData scalar(float value) {
        return f32(new long[0], value);
    }

    /** A 1-D i64 weight, the usual form of shapes and axes. */
    static WeightData i64(long... values) {
        return HostTensor.ofLongs(new long[] {values.length}, values).toWeight();
    }

    static WeightData i64Scalar(long value) {
        return HostTensor.ofLongs(new long[0], value).toWeight();
    }

    static WeightData random(long seed, long... shape) {
        return HostTensor.random(DType.F32, shape, new Random(seed)).toWeight();
    }

    /** {@code dtype[dims]} where each dim is a number or a symbol name. */
    static TensorType type(DType dtype, Object... dims) {
        return new TensorType(
                dtype,
                java.util.Arrays.stream(dims)
                        .map(d -> d instanceof String s ? Dim.sym(s) : Dim.of(((Number) d).longValue()))
                        .toList());
    }

    static Map<String, Attr> attrs(Object... keyValues) {
        TreeMap<String, Attr> m = new TreeMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], (Attr) keyValues[i + 1]);
        }
        return m;
    }

    static Map<String, Attr> none() {
        return Map.of();
    }

    /** Number of nodes of {@code op} in {@code g}. */
    static long count(Graph g, String op) {
        return g.nodes().stream().filter(n -> n.op().equals(op)).count();
    }

    static List<Node> nodes(Graph g, String op) {
        return g.nodes().stream().filter(n -> n.op().equals(op)).toList();
    }
}
