package fsc.runtime.serve;

import fsc.runtime.llm.SamplingParams;
import java.util.Map;
import java.util.Set;

/** The fields of a {@code /v1/completions} body, checked against the server limits (400 on any problem). */
record CompletionParams(
        String prompt,
        int maxTokens,
        boolean stream,
        Priority priority,
        SamplingParams sampling,
        double ttftMs,
        double tbtMs,
        boolean ignoreEos) {

    private static final Set<String> KNOWN = Set.of(
            "prompt",
            "max_tokens",
            "stream",
            "priority",
            "temperature",
            "top_k",
            "top_p",
            "seed",
            "model",
            "ttft_budget_ms",
            "tbt_budget_ms",
            "n",
            "user",
            "ignore_eos");

    /** Characters per token no tokenizer we load exceeds (SentencePiece and BPE pieces are far shorter). */
    static final int MAX_CHARS_PER_TOKEN = 64;

    static CompletionParams parse(String body, ServeServer.Limits limits) {
        Object doc;
        doc = HttpIo.parseJson(body);
        if (!(doc instanceof Map<?, ?> m)) {
            throw new HttpIo.BadRequest("the body must be a JSON object");
        }
        for (Object k : m.keySet()) {
            if (!KNOWN.contains(k)) {
                throw new HttpIo.BadRequest("unknown field '" + k + "'");
            }
        }
        if (!(m.get("prompt") instanceof String prompt)) {
            throw new HttpIo.BadRequest("'prompt' must be a string");
        }
        if (prompt.isEmpty()) {
            throw new HttpIo.BadRequest("'prompt' is empty");
        }
        // No vocabulary entry spans more characters than this, so a longer prompt cannot fit the
        // token limit: refused before the tokenizer spends time on it.
        long maxChars = (long) limits.maxPromptTokens() * MAX_CHARS_PER_TOKEN;
        if (prompt.length() > maxChars) {
            throw new HttpIo.BadRequest("'prompt' has " + prompt.length() + " characters; at most " + maxChars
                    + " can fit the " + limits.maxPromptTokens() + "-token limit");
        }
        int bad = unpairedSurrogate(prompt);
        if (bad >= 0) {
            throw new HttpIo.BadRequest("'prompt' holds an unpaired surrogate (\\u"
                    + Integer.toHexString(prompt.charAt(bad)) + ") at character " + bad);
        }
        int maxTokens = (int) integer(m, "max_tokens", 16, 1, limits.maxTokens());
        integer(m, "n", 1, 1, 1);
        boolean stream = m.get("stream") == null ? false : bool(m.get("stream"), "stream");
        Priority priority = Priority.INTERACTIVE;
        if (m.get("priority") != null) {
            if (!(m.get("priority") instanceof String p)) {
                throw new HttpIo.BadRequest("'priority' must be \"interactive\" or \"batch\"");
            }
            try {
                priority = Priority.parse(p);
            } catch (RuntimeException e) {
                throw new HttpIo.BadRequest(e.getMessage());
            }
        }
        double temperature = number(m, "temperature", 0, 0, 10);
        int topK = (int) integer(m, "top_k", 0, 0, Integer.MAX_VALUE);
        double topP = number(m, "top_p", 1, 1e-6, 1);
        long seed = integer(m, "seed", 0, Long.MIN_VALUE, Long.MAX_VALUE);
        double ttft = number(m, "ttft_budget_ms", 0, 0, 3_600_000);
        double tbt = number(m, "tbt_budget_ms", 0, 0, 3_600_000);
        boolean ignoreEos = m.get("ignore_eos") != null && bool(m.get("ignore_eos"), "ignore_eos");
        return new CompletionParams(
                prompt,
                maxTokens,
                stream,
                priority,
                new SamplingParams((float) temperature, topK, (float) topP, seed),
                ttft,
                tbt,
                ignoreEos);
    }

    /** The index of the first UTF-16 surrogate without its partner (a JSON {@code \\ud800} escape), or -1. */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean bool(Object v, String name) {
        if (v instanceof Boolean b) {
            return b;
        }
        throw new HttpIo.BadRequest("'" + name + "' must be true or false");
    }

    private static long integer(Map<?, ?> m, String name, long dflt, long min, long max) {
        Object v = m.get(name);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Long l)) {
            throw new HttpIo.BadRequest("'" + name + "' must be an integer");
        }
        if (l < min || l > max) {
            throw new HttpIo.BadRequest("'" + name + "' must be in " + min + ".." + max + ", got " + l);
        }
        return l;
    }

    private static double number(Map<?, ?> m, String name, double dflt, double min, double max) {
        Object v = m.get(name);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw new HttpIo.BadRequest("'" + name + "' must be a number");
        }
        double d = n.doubleValue();
        if (d < min || d > max) {
            throw new HttpIo.BadRequest("'" + name + "' must be in " + min + ".." + max + ", got " + d);
        }
        return d;
    }
}
