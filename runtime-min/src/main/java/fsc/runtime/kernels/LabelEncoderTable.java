package fsc.runtime.kernels;

import fsc.runtime.ElemType;
import fsc.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * ai.onnx.ml LabelEncoder as a hash table built once per node: keys are strings, integers or floats,
 * values strings, integers or floats; an absent key maps to the default. Float keys compare as float
 * (the attribute's precision), NaN matches NaN and -0.0 matches 0.0, as ONNX Runtime's float hashing does.
 */
public final class LabelEncoderTable {
    private final Map<Object, Object> table = new HashMap<>();
    private final Object dflt;

    /** {@code keys} and {@code values}: a String[], long[] or double[] each, of equal length. */
    public LabelEncoderTable(Object keys, Object values, Object dflt) {
        int n = length(keys);
        if (n != length(values)) {
            throw new IllegalArgumentException(n + " keys but " + length(values) + " values");
        }
        for (int i = 0; i < n; i++) {
            table.put(key(at(keys, i)), at(values, i));
        }
        this.dflt = dflt;
    }

    private static int length(Object a) {
        return switch (a) {
            case String[] s -> s.length;
            case long[] l -> l.length;
            case double[] d -> d.length;
            default -> throw new IllegalArgumentException("keys and values are String[], long[] or double[]");
        };
    }

    private static Object at(Object a, int i) {
        return switch (a) {
            case String[] s -> s[i];
            case long[] l -> l[i];
            case double[] d -> d[i];
            default -> throw new IllegalArgumentException("keys and values are String[], long[] or double[]");
        };
    }

    private static Object key(Object k) {
        if (k instanceof Double d) {
            float f = (float) d.doubleValue();
            return f == 0f ? 0f : f;
        }
        return k;
    }

    private Object lookup(Tensor in, int i) {
        Object k;
        if (in.type() == ElemType.STRING) {
            k = in.strings()[i];
        } else if (in.type().isFloating()) {
            k = key((double) in.getFloat(i));
        } else {
            k = in.getLong(i);
        }
        return table.getOrDefault(k, dflt);
    }

    /** The string values of {@code in}'s elements. */
    public Tensor toStrings(Tensor in) {
        return Tensor.ofStrings(in.shape(), strings(in));
    }

    String[] strings(Tensor in) {
        String[] out = new String[Math.toIntExact(in.elementCount())];
        for (int i = 0; i < out.length; i++) {
            out[i] = (String) lookup(in, i);
        }
        return out;
    }

    /** Writes the numeric values of {@code in}'s elements to {@code out}, elements of {@code type}. */
    public void toNumbers(Tensor in, ElemType type, MemorySegment out) {
        long n = in.elementCount();
        for (int i = 0; i < n; i++) {
            Object v = lookup(in, i);
            double d = v instanceof Long l ? l : (Double) v;
            long l = v instanceof Long x ? x : (long) d;
            store(type, out, i, l, d);
        }
    }

    private static void store(ElemType type, MemorySegment out, long i, long l, double d) {
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        switch (type) {
            case F32 -> out.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(le), i * 4, (float) d);
            case F64 -> out.set(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(le), i * 8, d);
            case I64, U64 -> out.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(le), i * 8, l);
            case I32, U32 -> out.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), i * 4, (int) l);
            case I16, U16 -> out.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), i * 2, (short) l);
            case I8, U8 -> out.set(ValueLayout.JAVA_BYTE, i, (byte) l);
            default -> throw new IllegalArgumentException("LabelEncoder does not produce " + type.shortName());
        }
    }
}
