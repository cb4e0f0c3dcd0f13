package fsc.frontend.onnx;

import com.google.protobuf.ByteString;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.ir.DType;
import fsc.ir.Float8Values;
import fsc.ir.FscException;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an ONNX {@code TensorProto} into {@link WeightData}: little-endian bytes in the IR layout.
 * {@code raw_data} and external data are used in place (views into the mapped file); the typed
 * fields ({@code float_data}, {@code int32_data}, ...) are small in practice and are packed into a
 * fresh buffer.
 */
final class TensorData {
    private TensorData() {}

    /**
     * @param where e.g. {@code model.onnx: initializer 'w'}
     * @param baseDir folder that external data locations are relative to
     */
    static WeightData toWeight(TensorProto t, Path baseDir, String where) {
        if (t.hasSegment()) {
            throw new FscException(where + ": segmented tensors (TensorProto.segment) are not supported");
        }
        DType dtype = OnnxDTypes.require(t.getDataType(), where);
        List<Long> dims = new ArrayList<>();
        long elements = 1;
        for (long d : t.getDimsList()) {
            if (d < 0) {
                throw new FscException(where + ": negative dimension " + d + " in " + t.getDimsList());
            }
            dims.add(d);
            try {
                elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw new FscException(where + ": shape " + t.getDimsList() + " has too many elements");
            }
        }
        if (dtype.isString()) {
            if (t.getStringDataCount() != elements) {
                throw new FscException(where + ": string" + dims + " needs " + elements
                        + " strings in string_data, found " + t.getStringDataCount());
            }
            // ONNX strings are bytes; fsc holds them as UTF-8 text (fsc.ir.StringData).
            return new WeightData(
                    dtype,
                    dims,
                    fsc.ir.StringData.encode(t.getStringDataList().stream()
                            .map(ByteString::toStringUtf8)
                            .toList()));
        }
        long bytes = dtype.bytesFor(elements);
        ByteBuffer data;
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            data = ExternalData.map(t, baseDir, bytes, where);
        } else if (t.hasRawData()) {
            ByteString raw = t.getRawData();
            if (raw.size() != bytes) {
                throw new FscException(where + ": raw_data has " + raw.size() + " bytes, but " + dtype.irName() + dims
                        + " needs " + bytes);
            }
            data = raw.asReadOnlyByteBuffer();
        } else {
            data = typed(t, dtype, elements, where);
        }
        return new WeightData(dtype, dims, data);
    }

    /** Packs the typed {@code *_data} field that ONNX uses for {@code dtype}. */
    private static ByteBuffer typed(TensorProto t, DType dtype, long elements, String where) {
        String field = fieldFor(dtype);
        int count =
                switch (field) {
                    case "float_data" -> t.getFloatDataCount();
                    case "double_data" -> t.getDoubleDataCount();
                    case "int64_data" -> t.getInt64DataCount();
                    case "uint64_data" -> t.getUint64DataCount();
                    default -> t.getInt32DataCount();
                };
        // Sub-byte types pack a byte of elements into each int32_data entry (onnx.helper.make_tensor).
        long entries = dtype.isSubByte() ? dtype.bytesFor(elements) : elements;
        if (count != entries) {
            throw new FscException(where + ": " + dtype.irName() + t.getDimsList() + " needs " + entries + " values in "
                    + field + " (or raw_data), found " + count);
        }
        if (dtype.bytesFor(elements) > Integer.MAX_VALUE) {
            throw new FscException(where + ": " + elements + " values are too many for a typed field; use raw_data");
        }
        int n = (int) entries;
        ByteBuffer b = ByteBuffer.allocate((int) dtype.bytesFor(elements)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (dtype) {
                case F32 -> b.putFloat(t.getFloatData(i));
                case F64 -> b.putDouble(t.getDoubleData(i));
                case I64 -> b.putLong(t.getInt64Data(i));
                case U64 -> b.putLong(t.getUint64Data(i));
                case U32 -> b.putInt((int) t.getUint64Data(i));
                case I32 -> b.putInt(t.getInt32Data(i));
                // 16-bit floats are stored as their bit patterns in int32_data.
                case I16, U16, F16, BF16 -> b.putShort((short) t.getInt32Data(i));
                case I8, U8, BOOL, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, I4, U4, F4E2M1, I2, U2 ->
                    b.put((byte) t.getInt32Data(i));
                case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K ->
                    throw new IllegalStateException("ONNX tensors cannot hold " + dtype.irName());
            }
        }
        return b.flip();
    }

    private static String fieldFor(DType dtype) {
        return switch (dtype) {
            case F32 -> "float_data";
            case F64 -> "double_data";
            case I64 -> "int64_data";
            case U32, U64 -> "uint64_data";
            case I32,
                    I16,
                    U16,
                    I8,
                    U8,
                    BOOL,
                    F16,
                    BF16,
                    F8E4M3FN,
                    F8E4M3FNUZ,
                    F8E5M2,
                    F8E5M2FNUZ,
                    F8E8M0,
                    I4,
                    U4,
                    F4E2M1,
                    I2,
                    U2 -> "int32_data";
            case STRING -> "string_data";
            case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K ->
                throw new IllegalStateException("ONNX tensors cannot hold " + dtype.irName());
        };
    }

    /** The value of a one-element numeric tensor as a double (for ConstantOfShape's {@code value}). */
    static double scalar(WeightData w) {
        ByteBuffer b = w.view();
        return switch (w.dtype()) {
            case F32 -> b.getFloat(0);
            case F64 -> b.getDouble(0);
            case F16 -> Float.float16ToFloat(b.getShort(0));
            case BF16 -> Float.intBitsToFloat(b.getShort(0) << 16);
            case I64, U64 -> b.getLong(0);
            case I32 -> b.getInt(0);
            case U32 -> Integer.toUnsignedLong(b.getInt(0));
            case I16 -> b.getShort(0);
            case U16 -> Short.toUnsignedInt(b.getShort(0));
            case I8 -> b.get(0);
            case U8, BOOL -> Byte.toUnsignedInt(b.get(0));
            case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0 -> Float8Values.decode(w.dtype(), b.get(0));
            case U4 -> b.get(0) & 0xF;
            case I4 -> (b.get(0) << 28) >> 28;
            case F4E2M1 -> Float8Values.decodeF4e2m1(b.get(0));
            case U2 -> b.get(0) & 0x3;
            case I2 -> (b.get(0) << 30) >> 30;
            case STRING -> throw new FscException("a string tensor has no numeric value");
            case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K ->
                throw new IllegalStateException(
                        "ONNX tensors cannot hold " + w.dtype().irName());
        };
    }
}
