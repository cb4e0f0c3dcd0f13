package fsc.runtime.llm;

import fsc.runtime.json.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of one generation: the ids in and out, the text of the generated ids, timings, and
 * with a draft model what speculative decoding did ({@code speculation}, else null).
 */
public record Generation(int[] promptIds, int[] generatedIds, String text, Timings timings, Speculation speculation) {

    public Generation(int[] promptIds, int[] generatedIds, String text, Timings timings) {
        this(promptIds, generatedIds, text, timings, null);
    }

    public Generation {
        promptIds = promptIds.clone();
        generatedIds = generatedIds.clone();
    }

    /**
     * One JSON object: {@code prompt_token_ids}, {@code generated_token_ids}, {@code text}, {@code
     * timings}, and {@code speculation} when a draft model ran.
     */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt_token_ids", list(promptIds));
        m.put("generated_token_ids", list(generatedIds));
        m.put("text", text);
        m.put("timings", timings.toJson());
        if (speculation != null) {
            m.put("speculation", speculation.toJson(generatedIds.length));
        }
        return Json.write(m);
    }

    private static List<Object> list(int[] a) {
        List<Object> l = new ArrayList<>(a.length);
        for (int v : a) {
            l.add(v);
        }
        return l;
    }
}
