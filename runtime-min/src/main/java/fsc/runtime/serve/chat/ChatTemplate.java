package fsc.runtime.serve.chat;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model's chat template (GGUF {@code tokenizer.chat_template}) rendered as Hugging Face's {@code
 * apply_chat_template} does: variables {@code messages}, {@code bos_token}, {@code eos_token},
 * {@code add_generation_prompt}, plus {@code raise_exception} and {@code strftime_now}. A model
 * without a template gets {@link #FALLBACK}: a plain "role: content" transcript that needs no
 * special tokens, so any vocabulary (a base model included) can continue it.
 */
public final class ChatTemplate {
    /** Used when the model carries no template: one line per message, then "assistant:" to continue. */
    public static final String FALLBACK = "{% for message in messages %}{{ message['role'] }}: "
            + "{{ message['content'] | trim }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";

    private final JinjaTemplate template;
    private final String bosToken;
    private final String eosToken;
    private final boolean fallback;
    private final Supplier<LocalDate> today;

    private ChatTemplate(
            JinjaTemplate template, String bosToken, String eosToken, boolean fallback, Supplier<LocalDate> today) {
        this.template = template;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.fallback = fallback;
        this.today = today;
    }

    /**
     * @param source the template, or null/blank for {@link #FALLBACK}
     * @param today the date {@code strftime_now} reports (templates print it in system prompts)
     * @throws TemplateException when the template is outside the supported subset
     */
    public static ChatTemplate of(String source, String bosToken, String eosToken, Supplier<LocalDate> today) {
        boolean none = source == null || source.isBlank();
        return new ChatTemplate(JinjaTemplate.parse(none ? FALLBACK : source), bosToken, eosToken, none, today);
    }

    public boolean isFallback() {
        return fallback;
    }

    /**
     * The prompt for {@code messages} (each a map with at least "role" and "content").
     *
     * @throws TemplateException when the template refuses the conversation or fails
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt) {
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", messages);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("strftime_now", (JinjaTemplate.Function)
                (a, k) -> strftime(a.isEmpty() ? "%Y-%m-%d" : String.valueOf(a.get(0))));
        return template.render(vars);
    }

    /** The strftime fields templates use (%d %b %B %Y %m %y); others are kept literally. */
    private String strftime(String format) {
        LocalDate d = today.get();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                b.append(c);
                continue;
            }
            char f = format.charAt(++i);
            b.append(
                    switch (f) {
                        case 'd' -> String.format(Locale.ROOT, "%02d", d.getDayOfMonth());
                        case 'm' -> String.format(Locale.ROOT, "%02d", d.getMonthValue());
                        case 'Y' -> Integer.toString(d.getYear());
                        case 'y' -> String.format(Locale.ROOT, "%02d", d.getYear() % 100);
                        case 'b' -> d.format(DateTimeFormatter.ofPattern("MMM", Locale.ENGLISH));
                        case 'B' -> d.format(DateTimeFormatter.ofPattern("MMMM", Locale.ENGLISH));
                        case '%' -> "%";
                        default -> "%" + f;
                    });
        }
        return b.toString();
    }
}
