package fsc.frontend.gguf;

import java.util.List;

/**
 * One GGUF metadata value. Integers of every width share {@link IntValue} (the type says how it is
 * stored; {@code uint64} values above {@code Long.MAX_VALUE} keep their bits), floats share {@link
 * FloatValue}. Arrays hold values of one element type, possibly arrays themselves.
 */
public sealed interface GgufValue {
    GgufValueType type();

    record IntValue(GgufValueType type, long value) implements GgufValue {
        public IntValue {
            if (!type.isInteger()) {
                throw new IllegalArgumentException("IntValue needs an integer type, got " + type);
            }
        }
    }

    record FloatValue(GgufValueType type, double value) implements GgufValue {
        public FloatValue {
            if (type != GgufValueType.FLOAT32 && type != GgufValueType.FLOAT64) {
                throw new IllegalArgumentException("FloatValue needs FLOAT32 or FLOAT64, got " + type);
            }
        }
    }

    record BoolValue(boolean value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.BOOL;
        }
    }

    record StringValue(String value) implements GgufValue {
        @Override
        public GgufValueType type() {
            return GgufValueType.STRING;
        }
    }

    record ArrayValue(GgufValueType elementType, List<GgufValue> items) implements GgufValue {
        public ArrayValue {
            items = List.copyOf(items);
            for (GgufValue v : items) {
                if (v.type() != elementType) {
                    throw new IllegalArgumentException("array of " + elementType + " holds a " + v.type());
                }
            }
        }

        @Override
        public GgufValueType type() {
            return GgufValueType.ARRAY;
        }
    }

    static GgufValue u8(int v) {
        return new IntValue(GgufValueType.UINT8, v & 0xFF);
    }

    static GgufValue i8(int v) {
        return new IntValue(GgufValueType.INT8, (byte) v);
    }

    static GgufValue u16(int v) {
        return new IntValue(GgufValueType.UINT16, v & 0xFFFF);
    }

    static GgufValue i16(int v) {
        return new IntValue(GgufValueType.INT16, (short) v);
    }

    static GgufValue u32(long v) {
        return new IntValue(GgufValueType.UINT32, v & 0xFFFF_FFFFL);
    }

    static GgufValue i32(int v) {
        return new IntValue(GgufValueType.INT32, v);
    }

    static GgufValue u64(long v) {
        return new IntValue(GgufValueType.UINT64, v);
    }

    static GgufValue i64(long v) {
        return new IntValue(GgufValueType.INT64, v);
    }

    static GgufValue f32(float v) {
        return new FloatValue(GgufValueType.FLOAT32, v);
    }

    static GgufValue f64(double v) {
        return new FloatValue(GgufValueType.FLOAT64, v);
    }

    static GgufValue bool(boolean v) {
        return new BoolValue(v);
    }

    static GgufValue string(String v) {
        return new StringValue(v);
    }

    static GgufValue array(GgufValueType elementType, List<GgufValue> items) {
        return new ArrayValue(elementType, items);
    }

    static GgufValue strings(List<String> items) {
        return new ArrayValue(
                GgufValueType.STRING, items.stream().map(GgufValue::string).toList());
    }

    static GgufValue f32s(float[] items) {
        GgufValue[] vs = new GgufValue[items.length];
        for (int i = 0; i < items.length; i++) {
            vs[i] = f32(items[i]);
        }
        return new ArrayValue(GgufValueType.FLOAT32, List.of(vs));
    }

    static GgufValue i32s(int[] items) {
        GgufValue[] vs = new GgufValue[items.length];
        for (int i = 0; i < items.length; i++) {
            vs[i] = i32(items[i]);
        }
        return new ArrayValue(GgufValueType.INT32, List.of(vs));
    }
}
