package fsc.runtime.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.runtime.RuntimeFailure;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesValuesKeepingKeyOrder() {
        Object v = Json.parse(" {\"b\": [1, -2.5, 3e2, true, false, null], \"a\": {}, \"c\": []} ");
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("b", "a", "c"), List.copyOf(m.keySet()));
        List<?> b = (List<?>) m.get("b");
        assertEquals(1L, b.get(0));
        assertEquals(-2.5, b.get(1));
        assertEquals(300.0, b.get(2));
        assertEquals(true, b.get(3));
        assertEquals(false, b.get(4));
        assertNull(b.get(5));
        assertEquals(Map.of(), m.get("a"));
        assertEquals(List.of(), m.get("c"));
        assertEquals(1e19, Json.parse("10000000000000000000"));
        assertEquals(-0L, Json.parse("-0"));
    }

    @Test
    void decodesEscapes() {
        assertEquals("a\"b\\c/d\b\f\n\r\té😀", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\""));
        assertEquals("##", Json.parse("\"##\""));
    }

    @Test
    void errorsNameLineAndColumn() {
        assertError("{\n  \"a\": 1,\n  \"b\" 2\n}", "line 3, column 7: expected ':'");
        assertError("[1, 2", "line 1, column 6: unexpected end of input");
        assertError("[1 2]", "line 1, column 4: expected ',' or ']'");
        assertError("\"abc", "unterminated string");
        assertError("\"a\\x\"", "bad escape");
        assertError("01", "line 1, column 2: unexpected '1' after the value");
        assertError("-", "expected a digit");
        assertError("tru", "line 1, column 1: unexpected 't'");
        assertError("\"a\u0001\"", "control character");
        char[] deep = new char[Json.MAX_DEPTH + 2];
        Arrays.fill(deep, '[');
        assertError(new String(deep), "nesting deeper than");
    }

    @Test
    void writesWhatItReads() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "q\"\n\u0002");
        m.put("n", List.of(1L, 2.5, 3.0f, 0.1f, Double.NaN));
        m.put("z", null);
        m.put("t", true);
        String text = Json.write(m);
        assertEquals("{\"s\":\"q\\\"\\n\\u0002\",\"n\":[1,2.5,3,0.1,null],\"z\":null,\"t\":true}", text);
        assertEquals(Json.parse(text), Json.parse(Json.write(Json.parse(text))));
    }

    private static void assertError(String text, String part) {
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> Json.parse(text));
        assertEquals(true, e.getMessage().contains(part), e.getMessage());
    }
}
