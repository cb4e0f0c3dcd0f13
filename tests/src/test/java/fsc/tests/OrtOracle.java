package fsc.tests;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import fsc.runtime.Tensor;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** ONNX Runtime as the numerical oracle (test scope only): runs a model on fsc {@link Tensor}s. */
public final class OrtOracle implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OrtOracle(Path model, int threads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        session = env.createSession(model.toString(), options);
    }

    /** Runs with i64, bool or f32 inputs; returns f32 outputs by name in the model's order. */
    public Map<String, float[]> run(Map<String, Tensor> inputs) throws OrtException {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (var e : inputs.entrySet()) {
                Tensor t = e.getValue();
                OnnxTensor ot =
                        switch (t.type()) {
                            case I64 -> OnnxTensor.createTensor(env, LongBuffer.wrap(t.toLongArray()), t.shape());
                            case BOOL ->
                                OnnxTensor.createTensor(
                                        env,
                                        java.nio.ByteBuffer.wrap(
                                                t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)),
                                        t.shape(),
                                        ai.onnxruntime.OnnxJavaType.BOOL);
                            default -> OnnxTensor.createTensor(env, FloatBuffer.wrap(t.toFloatArray()), t.shape());
                        };
                feeds.put(e.getKey(), ot);
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            try (OrtSession.Result r = session.run(feeds)) {
                for (var e : r) {
                    OnnxTensor ot = (OnnxTensor) e.getValue();
                    FloatBuffer fb = ot.getFloatBuffer();
                    float[] a = new float[fb.remaining()];
                    fb.get(a);
                    out.put(e.getKey(), a);
                }
            }
            return out;
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
