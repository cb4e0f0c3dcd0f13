package fsc.runtime.serve.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Real chat templates (as published in the models' tokenizer_config.json / GGUF metadata) rendered
 * against the prompts Hugging Face's apply_chat_template produces for them (hand-checked).
 */
class ChatTemplateTest {
    private static final LocalDate DAY = LocalDate.of(2026, 12, 6);

    private static final List<Map<String, Object>> CHAT = List.of(
            Map.of("role", "system", "content", "You are terse."),
            Map.of("role", "user", "content", "Hi!"),
            Map.of("role", "assistant", "content", " Hello. "),
            Map.of("role", "user", "content", "Sum 2+2?"));

    private static String render(String template, List<Map<String, Object>> messages, boolean gen) {
        return ChatTemplate.of(template, "<s>", "</s>", () -> DAY).render(messages, gen);
    }

    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
            + "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    @Test
    void chatMl() {
        assertEquals(
                "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                        + "<|im_start|>assistant\n Hello. <|im_end|>\n<|im_start|>user\nSum 2+2?<|im_end|>\n"
                        + "<|im_start|>assistant\n",
                render(CHATML, CHAT, true));
    }

    /** Llama 2 chat: system folded into the first user turn, alternation enforced by raise_exception. */
    static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}"
            + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
            + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
            + "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    @Test
    void llama2FoldsTheSystemPromptAndRefusesBrokenAlternation() {
        assertEquals(
                "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi! [/INST] Hello. </s><s>[INST] Sum 2+2? [/INST]",
                render(LLAMA2, CHAT, true));
        TemplateException e = assertThrows(
                TemplateException.class,
                () -> render(LLAMA2, List.of(Map.of("role", "assistant", "content", "x")), true));
        assertEquals("Conversation roles must alternate user/assistant/user/assistant/...", e.getMessage());
    }

    /** Llama 3 instruct (whitespace control, loop.index0, ~ not needed: + and | trim). */
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ "
            + "message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
            + "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    @Test
    void llama3() {
        List<Map<String, Object>> two =
                List.of(Map.of("role", "system", "content", "S"), Map.of("role", "user", "content", " U "));
        assertEquals(
                "<s><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                render(LLAMA3, two, true));
        assertTrue(render(LLAMA3, two, false).endsWith("U<|eot_id|>"));
    }

    /** Zephyr: multi-line template whose layout relies on trim_blocks / lstrip_blocks and {%- -%}. */
    static final String ZEPHYR =
            """
            {% for message in messages %}
            {% if message['role'] == 'user' %}
            {{ '<|user|>\n' + message['content'] + eos_token }}
            {% elif message['role'] == 'system' %}
            {{ '<|system|>\n' + message['content'] + eos_token }}
            {% elif message['role'] == 'assistant' %}
            {{ '<|assistant|>\n'  + message['content'] + eos_token }}
            {% endif %}
            {% if loop.last and add_generation_prompt %}
            {{ '<|assistant|>' }}
            {% endif %}
            {% endfor %}""";

    @Test
    void zephyrLayoutFollowsTrimAndLstripBlocks() {
        List<Map<String, Object>> two =
                List.of(Map.of("role", "system", "content", "S"), Map.of("role", "user", "content", "U"));
        assertEquals("<|system|>\nS</s>\n<|user|>\nU</s>\n<|assistant|>\n", render(ZEPHYR, two, true));
    }

    /** Mistral v0.3 style: namespace state, slices, 'is not none', ~ concatenation, elif chains. */
    static final String MISTRAL =
            """
            {%- if messages[0]["role"] == "system" %}
                {%- set system_message = messages[0]["content"] %}
                {%- set loop_messages = messages[1:] %}
            {%- else %}
                {%- set loop_messages = messages %}
            {%- endif %}
            {%- set ns = namespace(user_turns=0) %}
            {{- bos_token }}
            {%- for message in loop_messages %}
                {%- if message["role"] == "user" %}
                    {%- set ns.user_turns = ns.user_turns + 1 %}
                    {%- if loop.last and system_message is defined %}
                        {{- "[INST] " ~ system_message ~ "\\n\\n" ~ message["content"] ~ "[/INST]" }}
                    {%- else %}
                        {{- "[INST] " + message["content"] + "[/INST]" }}
                    {%- endif %}
                {%- elif message["role"] == "assistant" %}
                    {{- " " + message["content"]|trim + eos_token }}
                {%- else %}
                    {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
                {%- endif %}
            {%- endfor %}
            {{- "" if ns.user_turns > 0 else raise_exception("no user turn") }}""";

    @Test
    void mistralNamespaceAndSystemOnLastTurn() {
        assertEquals(
                "<s>[INST] Hi![/INST] Hello.</s>[INST] You are terse.\n\nSum 2+2?[/INST]", render(MISTRAL, CHAT, true));
        assertThrows(
                TemplateException.class, () -> render(MISTRAL, List.of(Map.of("role", "tool", "content", "x")), true));
    }

    /** Gemma: role renaming with a conditional expression, loop over messages with a filter. */
    static final String GEMMA = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
            + "{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}"
            + "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}"
            + "{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + "
            + "message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}"
            + "{{'<start_of_turn>model\n'}}{% endif %}";

    @Test
    void gemma() {
        assertEquals(
                "<s><start_of_turn>user\nHi!<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n"
                        + "<start_of_turn>model\n",
                render(GEMMA, CHAT.subList(1, 3), true));
        assertEquals(
                "System role not supported",
                assertThrows(TemplateException.class, () -> render(GEMMA, CHAT, true))
                        .getMessage());
    }

    @Test
    void expressionsFiltersTestsAndMethods() {
        Map<String, Object> none = Map.of();
        String t = "{{ 7 // 2 }} {{ -7 % 3 }} {{ 1.5 * 2 }} {{ 'ab' ~ 3 }} {{ [1,2,3] | length }} "
                + "{{ 'x' in 'xyz' }} {{ 2 not in [1] }} {{ 'A,B'.split(',') | join('|') }} "
                + "{{ '  pad ' | trim | upper }} {{ nothing is defined }} {{ none is none }} "
                + "{{ {'k': 1}.get('k') }} {{ {'k': 1}.get('z', 'd') }} {{ 'abc'[::-1] }} {{ [1,2,3][-1] }} "
                + "{{ 'yes' if 0 else 'no' }} {{ {'a': [1]} | tojson }} {{ strftime_now('%d %b %Y') }}"
                + "{% for k, v in {'a': 1, 'b': 2}.items() %} {{ k }}={{ v }}{% endfor %}"
                + "{% for i in range(3) if i != 1 %}{{ loop.index }}{{ i }}{% else %}empty{% endfor %}"
                + "{% for i in [] %}x{% else %} none{% endfor %}";
        assertEquals(
                "3 2 3.0 ab3 3 True True A|B PAD False True 1 d cba 3 no {\"a\":[1]} 06 Dec 2026 a=1 b=2" + "1022 none",
                ChatTemplate.of(t, "", "", () -> DAY).render(List.of(), false).replace("\n", ""));
        assertTrue(none.isEmpty());
    }

    @Test
    void setInsideALoopDoesNotLeakButANamespaceDoes() {
        String t = "{% set x = 1 %}{% set ns = namespace(x=1) %}{% for m in messages %}{% set x = 2 %}"
                + "{% set ns.x = 2 %}{% endfor %}{{ x }}{{ ns.x }}";
        assertEquals("12", render(t, CHAT, false));
    }

    @Test
    void unsupportedConstructsFailAtParseTimeWithTheStatementNamed() {
        TemplateException e = assertThrows(
                TemplateException.class, () -> ChatTemplate.of("{% macro f() %}x{% endmacro %}", "", "", () -> DAY));
        assertTrue(e.getMessage().contains("macro"), e.getMessage());
        assertThrows(TemplateException.class, () -> ChatTemplate.of("{% if x %}open", "", "", () -> DAY));
        assertThrows(TemplateException.class, () -> ChatTemplate.of("{{ 'unterminated }}", "", "", () -> DAY));
    }

    @Test
    void theFallbackIsAPlainTranscript() {
        ChatTemplate c = ChatTemplate.of(null, "<s>", "</s>", () -> DAY);
        assertTrue(c.isFallback());
        assertEquals(
                "system: You are terse.\nuser: Hi!\nassistant: Hello.\nuser: Sum 2+2?\nassistant:",
                c.render(CHAT, true));
    }
}
