package fsc.runtime.io;

import fsc.runtime.ElemType;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX {@code TensorProto} files ({@code .pb}, as in the ONNX backend test data), decoded with our
 * own wire-format reader because the runtime depends on nothing but the JDK. Field numbers are those
 * of {@code onnx.proto}: dims 1, data_type 2, float_data 4, int32_data 5, string_data 6, int64_data 7,
 * name 8, raw_data 9, double_data 10, uint64_data 11, data_location 14.
 */
public final class OnnxTensorFile {
    private static final int DIMS = 1;
    private static final int DATA_TYPE = 2;
    private static final int FLOAT_DATA = 4;
    private static final int INT32_DATA = 5;
    private static final int STRING_DATA = 6;
    private static final int INT64_DATA = 7;
    private static final int NAME = 8;
    private static final int RAW_DATA = 9;
    private static final int DOUBLE_DATA = 10;
    private static final int UINT64_DATA = 11;
    private static final int DATA_LOCATION = 14;
    private static final int LOCATION_EXTERNAL = 1;

    private OnnxTensorFile() {}

    /** A decoded tensor and the name stored with it (empty when the file has none). */
    public record Named(String name, Tensor tensor) {}

    public static Tensor read(Path file) {
        return readNamed(file).tensor();
    }

    public static Named readNamed(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new RuntimeFailure("cannot read " + file + ": " + e.getMessage(), e);
        }
        return decode(file, bytes);
    }

    static Named decode(Path file, byte[] bytes) {
        ProtoReader r = new ProtoReader(file, bytes, 0, bytes.length);
        List<Long> dims = new ArrayList<>();
        Integer dataType = null;
        String name = "";
        int rawStart = -1;
        int rawLen = 0;
        Values values = new Values();
        List<String> strings = new ArrayList<>();
        while (!r.atEnd()) {
            int at = r.position();
            int tag = r.tag();
            int field = tag >>> 3;
            int wire = tag & 7;
            switch (field) {
                case DIMS -> readInts(r, wire, at, dims::add);
                case DATA_TYPE -> dataType = (int) varintOf(r, wire, at, "data_type");
                case FLOAT_DATA -> {
                    values.startField(r, at, field);
                    readFixed(r, wire, at, ProtoReader.FIXED32, values, "float_data");
                }
                case DOUBLE_DATA -> {
                    values.startField(r, at, field);
                    readFixed(r, wire, at, ProtoReader.FIXED64, values, "double_data");
                }
                case INT32_DATA, INT64_DATA, UINT64_DATA -> {
                    values.startField(r, at, field);
                    readInts(r, wire, at, values::add);
                }
                case STRING_DATA -> {
                    // ONNX strings are bytes; fsc reads them as UTF-8 text (see fsc.ir.StringData).
                    expectWire(r, wire, ProtoReader.LEN, at, "string_data");
                    int len = r.length();
                    strings.add(new String(bytes, r.position(), len, StandardCharsets.UTF_8));
                    r.skipBytes(len);
                }
                case NAME -> {
                    expectWire(r, wire, ProtoReader.LEN, at, "name");
                    int len = r.length();
                    name = new String(bytes, r.position(), len, StandardCharsets.UTF_8);
                    r.skipBytes(len);
                }
                case RAW_DATA -> {
                    expectWire(r, wire, ProtoReader.LEN, at, "raw_data");
                    rawLen = r.length();
                    rawStart = r.position();
                    r.skipBytes(rawLen);
                }
                case DATA_LOCATION -> {
                    if (varintOf(r, wire, at, "data_location") == LOCATION_EXTERNAL) {
                        throw r.error(at, "tensor data is in an external file (data_location=EXTERNAL); not supported");
                    }
                }
                default -> r.skip(wire);
            }
        }
        if (dataType == null) {
            throw r.error(bytes.length, "TensorProto has no data_type");
        }
        ElemType type;
        try {
            type = ElemType.fromOnnxCode(dataType);
        } catch (RuntimeFailure e) {
            throw r.error(0, e.getMessage());
        }
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dims.get(i);
            if (shape[i] < 0) {
                throw r.error(0, "negative dimension " + shape[i]);
            }
        }
        // The data present is checked against the dims before anything is allocated from them: a
        // 43-byte file must not be able to ask for terabytes.
        long count;
        long need;
        try {
            count = Tensor.countOf(shape);
            if (count > Long.MAX_VALUE / 8) {
                throw new ArithmeticException("size");
            }
            need = type == ElemType.STRING ? 0 : type.bytesFor(count);
        } catch (ArithmeticException e) {
            throw r.error(0, "dims " + java.util.Arrays.toString(shape) + " overflow a 64-bit size");
        }
        if (type == ElemType.STRING) {
            if (strings.size() != count) {
                throw r.error(0, "tensor has " + strings.size() + " strings, its shape needs " + count);
            }
            return new Named(name, Tensor.ofStrings(shape, strings.toArray(String[]::new)));
        }
        if (rawStart >= 0 && rawLen != need) {
            throw r.error(
                    rawStart,
                    "raw_data has " + rawLen + " bytes, " + type.shortName() + java.util.Arrays.toString(shape)
                            + " needs " + need);
        }
        if (rawStart < 0 && values.size < count) {
            throw r.error(
                    0,
                    "tensor has " + values.size + " values, shape " + java.util.Arrays.toString(shape) + " needs "
                            + count);
        }
        Tensor t = Tensor.allocate(type, shape, Arena.ofAuto());
        if (rawStart >= 0) {
            if (rawLen != type.bytesFor(count)) {
                throw r.error(
                        rawStart,
                        "raw_data has " + rawLen + " bytes, " + type.shortName() + t.shapeString() + " needs "
                                + type.bytesFor(count));
            }
            MemorySegment.copy(MemorySegment.ofArray(bytes), rawStart, t.data(), 0, rawLen);
        } else {
            fillTyped(r, t, values);
        }
        return new Named(name, t);
    }

    private static void fillTyped(ProtoReader r, Tensor t, Values values) {
        int field = values.field;
        ElemType type = t.type();
        long count = t.elementCount();
        int expectedField =
                switch (type) {
                    case F32 -> FLOAT_DATA;
                    case F64 -> DOUBLE_DATA;
                    case I64 -> INT64_DATA;
                    case U32, U64 -> UINT64_DATA;
                    case I32, I16, I8, U16, U8, BOOL, F16, BF16, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0 ->
                        INT32_DATA;
                    case STRING -> throw new IllegalStateException("string tensors are read from string_data");
                    case U4, I4, F4E2M1, U2, I2 ->
                        throw r.error(0, type.shortName() + " tensors are read from raw_data only");
                };
        if (values.size == 0 && count == 0) {
            return;
        }
        if (field != expectedField) {
            throw r.error(
                    0,
                    type.shortName() + " tensor data must be in field " + expectedField + ", found field "
                            + (field == 0 ? "none" : String.valueOf(field)));
        }
        if (values.size != count) {
            throw r.error(0, "tensor has " + values.size + " values, shape " + t.shapeString() + " needs " + count);
        }
        MemorySegment d = t.data();
        for (int i = 0; i < values.size; i++) {
            long v = values.data[i];
            long off = (long) i * type.byteSize();
            switch (type.byteSize()) {
                case 1 -> d.set(ValueLayout.JAVA_BYTE, off, (byte) v);
                case 2 -> d.set(Bytes.U16, off, (short) v);
                case 4 -> d.set(Bytes.U32, off, (int) v);
                default -> d.set(Bytes.U64, off, v);
            }
        }
    }

    /** Writes {@code t} with its dims, data_type, name and raw_data, as ONNX's numpy_helper does. */
    public static void write(Path file, Tensor t, String name) {
        ProtoWriter w = new ProtoWriter();
        for (long d : t.shape()) {
            w.varintField(DIMS, d);
        }
        w.varintField(DATA_TYPE, t.type().onnxCode());
        if (name != null && !name.isEmpty()) {
            w.stringField(NAME, name);
        }
        long bytes = t.data().byteSize();
        if (bytes > Integer.MAX_VALUE - 1024) {
            throw new RuntimeFailure("cannot write " + file + ": " + bytes + " bytes exceeds the 2 GiB protobuf limit");
        }
        w.bytesField(RAW_DATA, t.data().toArray(ValueLayout.JAVA_BYTE));
        try {
            Files.write(file, w.toByteArray());
        } catch (IOException e) {
            throw new RuntimeFailure("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private interface LongSink {
        void add(long v);
    }

    /**
     * The typed data field's values, as raw 32/64-bit patterns until the element type is known (it
     * may come after the data), and which field they came from.
     */
    private static final class Values {
        long[] data = new long[16];
        int size;
        int field; // 0 until a typed data field is seen

        void startField(ProtoReader r, int at, int f) {
            if (field != 0 && field != f) {
                throw r.error(at, "tensor data in both field " + field + " and field " + f);
            }
            field = f;
        }

        void add(long v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }
    }

    private static void readInts(ProtoReader r, int wire, int at, LongSink sink) {
        if (wire == ProtoReader.VARINT) {
            sink.add(r.varint());
        } else if (wire == ProtoReader.LEN) {
            ProtoReader packed = r.sub();
            while (!packed.atEnd()) {
                sink.add(packed.varint());
            }
        } else {
            throw r.error(at, "integer field has wire type " + wire);
        }
    }

    private static void readFixed(ProtoReader r, int wire, int at, int elemWire, Values values, String what) {
        if (wire == elemWire) {
            values.add(elemWire == ProtoReader.FIXED32 ? Integer.toUnsignedLong(r.fixed32()) : r.fixed64());
        } else if (wire == ProtoReader.LEN) {
            ProtoReader packed = r.sub();
            while (!packed.atEnd()) {
                values.add(
                        elemWire == ProtoReader.FIXED32 ? Integer.toUnsignedLong(packed.fixed32()) : packed.fixed64());
            }
        } else {
            throw r.error(at, what + " has wire type " + wire);
        }
    }

    private static long varintOf(ProtoReader r, int wire, int at, String what) {
        expectWire(r, wire, ProtoReader.VARINT, at, what);
        return r.varint();
    }

    private static void expectWire(ProtoReader r, int wire, int expected, int at, String what) {
        if (wire != expected) {
            throw r.error(at, what + " has wire type " + wire + ", expected " + expected);
        }
    }
}
