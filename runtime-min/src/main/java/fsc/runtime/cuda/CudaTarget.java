package fsc.runtime.cuda;

import fsc.runtime.RuntimeFailure;
import fsc.runtime.json.Json;
import java.util.Map;

/**
 * {@code fsc/cuda/target.json} in a CUDA jar: the architecture the PTX was made for, the GEMM path,
 * what runs without a GPU ({@code java} or {@code none}), the launcher class, and whether the jar
 * carries PTX. Written by {@code backend-cuda}, read here when the jar is opened.
 */
public record CudaTarget(String arch, String gemm, boolean javaFallback, String launcher, boolean hasPtx) {
    public static final String PREFIX = "fsc/cuda/";
    public static final String ENTRY = PREFIX + "target.json";
    public static final String PTX = PREFIX + "model.ptx";
    public static final String SOURCE = PREFIX + "model.cu";
    /** The weights: the Java code's entry, laid out by the Java backend, so a jar stores them once. */
    public static final String WEIGHTS = fsc.runtime.JarLayout.WEIGHTS_ENTRY;

    public static CudaTarget parse(String json) {
        Object v;
        try {
            v = Json.parse(json);
        } catch (RuntimeException e) {
            throw new RuntimeFailure(ENTRY + ": not valid JSON (" + e.getMessage() + ")");
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new RuntimeFailure(ENTRY + ": expected a JSON object");
        }
        String fallback = text(m, "fallback");
        if (!fallback.equals("java") && !fallback.equals("none")) {
            throw new RuntimeFailure(ENTRY + ": fallback is '" + fallback + "', expected java or none");
        }
        return new CudaTarget(
                text(m, "arch"),
                text(m, "gemm"),
                fallback.equals("java"),
                text(m, "launcher"),
                Boolean.TRUE.equals(m.get("ptx")));
    }

    /** The {@code --target} the jar was compiled with, as the user typed it. */
    public String targetFlag() {
        return javaFallback ? "cuda,java" : "cuda";
    }

    private static String text(Map<?, ?> m, String key) {
        if (!(m.get(key) instanceof String s)) {
            throw new RuntimeFailure(ENTRY + ": missing string field '" + key + "'");
        }
        return s;
    }
}
