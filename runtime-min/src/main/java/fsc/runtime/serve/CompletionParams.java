package fsc.runtime.serve;

import fsc.runtime.llm.SamplingParams;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fields of a {@code /v1/completions} or {@code /v1/chat/completions} body, checked against
 * the server limits (400 on any problem, naming the field). Fields fsc does not implement are
 * refused unless they hold their no-op value ({@code n: 1}, penalties 0), so a client never gets
 * silently different behaviour.
 *
 * @param model the requested model id, or null (then the server's only model of the kind)
 * @param prompt the prompt text (completions), null for chat
 * @param messages the conversation (chat), null for completions; each has "role" and string "content"
 * @param stops stop sequences (at most 4)
 * @param topLogprobs alternatives per token to report; -1 when logprobs were not asked for
 * @param includeUsage {@code stream_options.include_usage}: a last chunk carries the usage
 */
record CompletionParams(
        String model,
        String prompt,
        List<Map<String, Object>> messages,
        int maxTokens,
        boolean stream,
        boolean includeUsage,
        Priority priority,
        SamplingParams sampling,
        double ttftMs,
        double tbtMs,
        boolean ignoreEos,
        List<String> stops,
        int topLogprobs) {

    private static final Set<String> COMMON = Set.of(
            "model",
            "max_tokens",
            "stream",
            "stream_options",
            "priority",
            "temperature",
            "top_k",
            "top_p",
            "seed",
            "ttft_budget_ms",
            "tbt_budget_ms",
            "n",
            "user",
            "ignore_eos",
            "stop",
            "logprobs",
            "presence_penalty",
            "frequency_penalty");
    private static final Set<String> COMPLETION_ONLY = Set.of("prompt", "echo", "best_of");
    private static final Set<String> CHAT_ONLY = Set.of("messages", "max_completion_tokens", "top_logprobs");

    /** The body's {@code model} (null when absent), read before the model's limits are known. */
    static String model(String body) {
        Object doc = HttpIo.parseJson(body);
        if (doc instanceof Map<?, ?> m && m.get("model") != null) {
            if (!(m.get("model") instanceof String s)) {
                throw new HttpIo.BadRequest("'model' must be a string");
            }
            return s;
        }
        return null;
    }

    /** Characters per token no tokenizer we load exceeds (SentencePiece and BPE pieces are far shorter). */
    static final int MAX_CHARS_PER_TOKEN = 64;

    static CompletionParams parse(String body, ServeServer.Limits limits) {
        return parse(body, limits, false);
    }

    static CompletionParams parseChat(String body, ServeServer.Limits limits) {
        return parse(body, limits, true);
    }

    private static CompletionParams parse(String body, ServeServer.Limits limits, boolean chat) {
        Object doc;
        doc = HttpIo.parseJson(body);
        if (!(doc instanceof Map<?, ?> m)) {
            throw new HttpIo.BadRequest("the body must be a JSON object");
        }
        for (Object k : m.keySet()) {
            if (!COMMON.contains(k) && !(chat ? CHAT_ONLY : COMPLETION_ONLY).contains(k)) {
                throw new HttpIo.BadRequest("unknown field '" + k + "'");
            }
        }
        String model = null;
        if (m.get("model") != null) {
            if (!(m.get("model") instanceof String s)) {
                throw new HttpIo.BadRequest("'model' must be a string");
            }
            model = s;
        }
        String prompt = null;
        List<Map<String, Object>> messages = null;
        if (chat) {
            messages = messages(m.get("messages"));
        } else {
            if (!(m.get("prompt") instanceof String p)) {
                throw new HttpIo.BadRequest("'prompt' must be a string");
            }
            if (p.isEmpty()) {
                throw new HttpIo.BadRequest("'prompt' is empty");
            }
            prompt = p;
            if (m.get("echo") != null && bool(m.get("echo"), "echo")) {
                throw new HttpIo.BadRequest("'echo' is not supported");
            }
            integer(m, "best_of", 1, 1, 1);
        }
        String lengthField = chat && m.get("max_completion_tokens") != null ? "max_completion_tokens" : "max_tokens";
        int maxTokens = (int) integer(m, lengthField, 16, 1, limits.maxTokens());
        if (m.get("n") != null && !(m.get("n") instanceof Long n && n == 1)) {
            throw new HttpIo.BadRequest("'n' must be 1: fsc returns one choice per request");
        }
        boolean stream = m.get("stream") != null && bool(m.get("stream"), "stream");
        boolean includeUsage = false;
        if (m.get("stream_options") != null) {
            if (!(m.get("stream_options") instanceof Map<?, ?> so)) {
                throw new HttpIo.BadRequest("'stream_options' must be an object");
            }
            includeUsage = so.get("include_usage") != null && bool(so.get("include_usage"), "include_usage");
        }
        // No vocabulary entry spans more characters than this, so a longer prompt cannot fit the
        // token limit: refused before the tokenizer (or the chat template) spends time on it.
        long maxChars = (long) limits.maxPromptTokens() * MAX_CHARS_PER_TOKEN;
        long chars = 0;
        if (prompt != null) {
            checkText(prompt, "'prompt'");
            chars = prompt.length();
        } else {
            for (int i = 0; i < messages.size(); i++) {
                String content = (String) messages.get(i).get("content");
                checkText(content, "messages[" + i + "].content");
                chars += content.length();
            }
        }
        if (chars > maxChars) {
            throw new HttpIo.BadRequest((prompt != null ? "'prompt'" : "'messages'") + " has " + chars
                    + " characters; at most " + maxChars + " can fit the " + limits.maxPromptTokens()
                    + "-token limit");
        }
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
        number(m, "presence_penalty", 0, 0, 0);
        number(m, "frequency_penalty", 0, 0, 0);
        boolean ignoreEos = m.get("ignore_eos") != null && bool(m.get("ignore_eos"), "ignore_eos");
        int top = -1;
        if (chat) {
            boolean logprobs = m.get("logprobs") != null && bool(m.get("logprobs"), "logprobs");
            int n = (int) integer(m, "top_logprobs", 0, 0, 20);
            if (m.get("top_logprobs") != null && !logprobs) {
                throw new HttpIo.BadRequest("'top_logprobs' needs 'logprobs': true");
            }
            top = logprobs ? n : -1;
        } else if (m.get("logprobs") != null) {
            top = (int) integer(m, "logprobs", 0, 0, 5);
        }
        return new CompletionParams(
                model,
                prompt,
                messages,
                maxTokens,
                stream,
                includeUsage,
                priority,
                new SamplingParams((float) temperature, topK, (float) topP, seed),
                ttft,
                tbt,
                ignoreEos,
                stops(m.get("stop")),
                top);
    }

    private static List<Map<String, Object>> messages(Object v) {
        if (!(v instanceof List<?> list) || list.isEmpty()) {
            throw new HttpIo.BadRequest("'messages' must be a non-empty array");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> msg) || !(msg.get("role") instanceof String role)) {
                throw new HttpIo.BadRequest("messages[" + i + "] must be an object with a string 'role'");
            }
            Map<String, Object> copy = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : msg.entrySet()) {
                copy.put(String.valueOf(e.getKey()), e.getValue());
            }
            copy.put("role", role);
            copy.put("content", content(msg.get("content"), i));
            out.add(copy);
        }
        return out;
    }

    /** A string, or an array of parts of which only {"type": "text"} ones are accepted (joined). */
    private static String content(Object c, int i) {
        if (c == null) {
            return "";
        }
        if (c instanceof String s) {
            return s;
        }
        if (c instanceof List<?> parts) {
            StringBuilder b = new StringBuilder();
            for (Object p : parts) {
                if (!(p instanceof Map<?, ?> part)
                        || !"text".equals(part.get("type"))
                        || !(part.get("text") instanceof String t)) {
                    throw new HttpIo.BadRequest("messages[" + i + "].content: only text parts are supported");
                }
                b.append(t);
            }
            return b.toString();
        }
        throw new HttpIo.BadRequest("messages[" + i + "].content must be a string or an array of text parts");
    }

    private static List<String> stops(Object v) {
        if (v == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (v instanceof String s) {
            out.add(s);
        } else if (v instanceof List<?> l) {
            for (Object o : l) {
                if (!(o instanceof String s)) {
                    throw new HttpIo.BadRequest("'stop' must be a string or an array of strings");
                }
                out.add(s);
            }
        } else {
            throw new HttpIo.BadRequest("'stop' must be a string or an array of strings");
        }
        if (out.size() > 4 || out.stream().anyMatch(String::isEmpty)) {
            throw new HttpIo.BadRequest("'stop' holds at most 4 non-empty sequences");
        }
        return List.copyOf(out);
    }

    /** Refuses text holding an unpaired surrogate (a JSON {@code \\ud800} escape): no tokenizer can encode it. */
    private static void checkText(String text, String field) {
        int bad = unpairedSurrogate(text);
        if (bad >= 0) {
            throw new HttpIo.BadRequest(field + " holds an unpaired surrogate (\\u"
                    + Integer.toHexString(text.charAt(bad)) + ") at character " + bad);
        }
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
            throw new HttpIo.BadRequest(
                    min == max
                            ? "'" + name + "' is not supported (only " + min + ")"
                            : "'" + name + "' must be in " + min + ".." + max + ", got " + d);
        }
        return d;
    }
}
