package fsc.tests;

import com.google.protobuf.InvalidProtocolBufferException;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.TensorShapeProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;

/**
 * Rewrites an ONNX model's first input to a fixed shape, for models exported with every dimension
 * dynamic (PaddleOCR's {@code p2o.DynamicDimension.N}); the weights and nodes are untouched. The
 * output's dimensions are cleared so both fsc and ONNX Runtime infer them from the fixed input.
 */
final class OnnxShapes {
    private OnnxShapes() {}

    static byte[] fixFirstInput(byte[] model, long[] shape) throws InvalidProtocolBufferException {
        ModelProto.Builder m = ModelProto.parseFrom(model).toBuilder();
        ValueInfoProto.Builder in = m.getGraphBuilder().getInputBuilder(0);
        TensorShapeProto.Builder s =
                in.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().clearDim();
        for (long d : shape) {
            s.addDimBuilder().setDimValue(d);
        }
        return m.build().toByteArray();
    }
}
