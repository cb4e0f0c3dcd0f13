package fsc.backend.java;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.interp.HostTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Shorthands for building small test graphs and their random inputs. */
final class TestGraphs {
    private TestGraphs() {}

    /** A type from numbers (fixed dims) and strings (symbols). */
    static TensorType type(DType t, Object... dims) {
        List<Dim> ds = new ArrayList<>();
        for (Object d : dims) {
            ds.add(d instanceof String s ? Dim.sym(s) : Dim.of(((Number) d).longValue()));
        }
        return new TensorType(t, ds);
    }

    static TensorType f32(Object... dims) {
        return type(DType.F32, dims);
    }

    static WeightData randomWeight(long seed, long... dims) {
        return HostTensor.random(DType.F32, dims, new Random(seed)).toWeight();
    }

    static WeightData scalar(float v) {
        return HostTensor.ofFloats(new long[0], v).toWeight();
    }

    static Map<String, Attr> attrs(Object... kv) {
        Map<String, Attr> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Attr) kv[i + 1]);
        }
        return m;
    }

    /** Random inputs for every graph input under {@code binding}: floats in [-1,1), integers in [0,4). */
    static Map<String, HostTensor> randomInputs(Graph g, Map<String, Long> binding, long seed) {
        Random r = new Random(seed);
        Map<String, HostTensor> in = new LinkedHashMap<>();
        for (Value v : g.inputs()) {
            in.put(v.name(), HostTensor.random(v.dtype(), v.type().evaluate(binding), r));
        }
        return in;
    }
}
