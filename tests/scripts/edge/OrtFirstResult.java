import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.util.Locale;
import java.util.Map;

/**
 * The peer of docs/EDGE.md's first-result measurement: ONNX Runtime Java in a fresh JVM creates its
 * environment and a session for MiniLM and runs it on [1, SEQ] token ids (ids 1000 + i, mask 1,
 * segment 0). Prints the first call's latency, then CALLS more, one line each, as fsc's AotTraining
 * does, so edge-first-result.sh reads both the same way.
 * Usage: java -cp onnxruntime.jar:CLASSES OrtFirstResult MODEL.onnx SEQ CALLS
 */
public final class OrtFirstResult {
    public static void main(String[] args) throws Exception {
        int seq = Integer.parseInt(args[1]);
        int calls = Integer.parseInt(args[2]);
        long[][] ids = new long[1][seq];
        long[][] mask = new long[1][seq];
        long[][] types = new long[1][seq];
        for (int i = 0; i < seq; i++) {
            ids[0][i] = 1000 + i;
            mask[0][i] = 1;
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(args[0], o);
                    OnnxTensor a = OnnxTensor.createTensor(env, ids);
                    OnnxTensor b = OnnxTensor.createTensor(env, mask);
                    OnnxTensor c = OnnxTensor.createTensor(env, types)) {
                Map<String, OnnxTensor> in = Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c);
                for (int i = 0; i < calls; i++) {
                    long start = System.nanoTime();
                    try (OrtSession.Result r = session.run(in)) {
                        r.get(0);
                    }
                    System.out.printf(Locale.ROOT, "[1,%d] call %d: %.3f ms%n", seq, i, (System.nanoTime() - start) / 1e6);
                }
            }
        }
    }
}
