package fsc.runtime.llm;

import fsc.runtime.RuntimeFailure;
import java.util.List;
import java.util.Map;

/** Typed reads from a parsed {@code fsc/llm.json}, failing with the key's name. */
final class JsonFields {
    private JsonFields() {}

    static Object get(Map<String, Object> m, String key) {
        if (!m.containsKey(key)) {
            throw new RuntimeFailure(LlmConfig.ENTRY + ": missing key '" + key + "'");
        }
        return m.get(key);
    }

    static String string(Map<String, Object> m, String key) {
        if (get(m, key) instanceof String s) {
            return s;
        }
        throw bad(key, "a string");
    }

    static int integer(Map<String, Object> m, String key) {
        if (get(m, key) instanceof Long l && l == l.intValue()) {
            return l.intValue();
        }
        throw bad(key, "an integer");
    }

    static double number(Map<String, Object> m, String key) {
        if (get(m, key) instanceof Number n) {
            return n.doubleValue();
        }
        throw bad(key, "a number");
    }

    static boolean bool(Map<String, Object> m, String key) {
        if (get(m, key) instanceof Boolean b) {
            return b;
        }
        throw bad(key, "true or false");
    }

    static List<?> list(Map<String, Object> m, String key) {
        if (get(m, key) instanceof List<?> l) {
            return l;
        }
        throw bad(key, "an array");
    }

    static List<String> strings(Map<String, Object> m, String key) {
        List<?> l = list(m, key);
        for (Object o : l) {
            if (!(o instanceof String)) {
                throw bad(key, "an array of strings");
            }
        }
        @SuppressWarnings("unchecked")
        List<String> s = (List<String>) l;
        return s;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object o, String what) {
        if (o instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new RuntimeFailure(LlmConfig.ENTRY + ": " + what + " must be an object");
    }

    private static RuntimeFailure bad(String key, String what) {
        return new RuntimeFailure(LlmConfig.ENTRY + ": '" + key + "' must be " + what);
    }
}
