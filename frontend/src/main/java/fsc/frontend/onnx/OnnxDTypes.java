package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.ir.DType;
import fsc.ir.FscException;
import java.util.Optional;

/** ONNX {@code TensorProto.DataType} codes and the IR element types they map to. */
final class OnnxDTypes {
    private OnnxDTypes() {}

    /** The IR type of an ONNX data type code, or empty when fsc has no such element type (string, complex). */
    static Optional<DType> toIr(int code) {
        TensorProto.DataType t = TensorProto.DataType.forNumber(code);
        if (t == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(
                switch (t) {
                    case FLOAT -> DType.F32;
                    case UINT8 -> DType.U8;
                    case INT8 -> DType.I8;
                    case UINT16 -> DType.U16;
                    case INT16 -> DType.I16;
                    case INT32 -> DType.I32;
                    case INT64 -> DType.I64;
                    case BOOL -> DType.BOOL;
                    case FLOAT16 -> DType.F16;
                    case DOUBLE -> DType.F64;
                    case UINT32 -> DType.U32;
                    case UINT64 -> DType.U64;
                    case BFLOAT16 -> DType.BF16;
                    case FLOAT8E4M3FN -> DType.F8E4M3FN;
                    case FLOAT8E4M3FNUZ -> DType.F8E4M3FNUZ;
                    case FLOAT8E5M2 -> DType.F8E5M2;
                    case FLOAT8E5M2FNUZ -> DType.F8E5M2FNUZ;
                    case UINT4 -> DType.U4;
                    case INT4 -> DType.I4;
                    case FLOAT4E2M1 -> DType.F4E2M1;
                    case UINT2 -> DType.U2;
                    case INT2 -> DType.I2;
                    case FLOAT8E8M0 -> DType.F8E8M0;
                    case STRING -> DType.STRING;
                    case UNDEFINED, COMPLEX64, COMPLEX128 -> null;
                });
    }

    /** The IR type of {@code code}, or a user error naming {@code what} and the ONNX type. */
    static DType require(int code, String what) {
        return toIr(code)
                .orElseThrow(() ->
                        new FscException(what + " has element type " + name(code) + ", which fsc does not support"));
    }

    /** The ONNX code for an IR type; packed quantized types have none. */
    static int fromIr(DType t) {
        TensorProto.DataType d =
                switch (t) {
                    case F32 -> TensorProto.DataType.FLOAT;
                    case F16 -> TensorProto.DataType.FLOAT16;
                    case BF16 -> TensorProto.DataType.BFLOAT16;
                    case F64 -> TensorProto.DataType.DOUBLE;
                    case I8 -> TensorProto.DataType.INT8;
                    case U8 -> TensorProto.DataType.UINT8;
                    case I16 -> TensorProto.DataType.INT16;
                    case U16 -> TensorProto.DataType.UINT16;
                    case I32 -> TensorProto.DataType.INT32;
                    case U32 -> TensorProto.DataType.UINT32;
                    case I64 -> TensorProto.DataType.INT64;
                    case U64 -> TensorProto.DataType.UINT64;
                    case BOOL -> TensorProto.DataType.BOOL;
                    case F8E4M3FN -> TensorProto.DataType.FLOAT8E4M3FN;
                    case F8E4M3FNUZ -> TensorProto.DataType.FLOAT8E4M3FNUZ;
                    case F8E5M2 -> TensorProto.DataType.FLOAT8E5M2;
                    case F8E5M2FNUZ -> TensorProto.DataType.FLOAT8E5M2FNUZ;
                    case U4 -> TensorProto.DataType.UINT4;
                    case I4 -> TensorProto.DataType.INT4;
                    case F4E2M1 -> TensorProto.DataType.FLOAT4E2M1;
                    case F8E8M0 -> TensorProto.DataType.FLOAT8E8M0;
                    case U2 -> TensorProto.DataType.UINT2;
                    case I2 -> TensorProto.DataType.INT2;
                    case STRING -> TensorProto.DataType.STRING;
                    case Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K ->
                        throw new FscException("ONNX has no element type for " + t.irName());
                };
        return d.getNumber();
    }

    /** The ONNX spelling of a data type code, e.g. {@code STRING}, for messages. */
    static String name(int code) {
        TensorProto.DataType t = TensorProto.DataType.forNumber(code);
        return t == null ? "code " + code : t.name();
    }
}
