package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import fsc.runtime.ElemType;
import java.util.List;
import org.junit.jupiter.api.Test;

class LlmConfigTest {
    private static LlmConfig config(String chatTemplate) {
        TokenizerSpec t = new TokenizerSpec(
                "llama",
                List.of("<unk>", "<s>", "</s>"),
                new float[3],
                new int[] {2, 3, 3},
                List.of(),
                1,
                2,
                0,
                true,
                true,
                chatTemplate);
        return new LlmConfig(
                "m", "llama", 3, new PagedLayout(1, 16, 1, 1, 4, 0.5f, ElemType.F32), 64, 16, 2, 0, "f32", t);
    }

    @Test
    void theChatTemplateTravelsInTheJarsConfig() {
        String tpl = "{% for m in messages %}{{ m['content'] }}\n{% endfor %}";
        assertEquals(tpl, LlmConfig.fromJson(config(tpl).toJson()).tokenizer().chatTemplate());
        // A model without one (and jars compiled before the field existed) read back as null.
        assertNull(LlmConfig.fromJson(config(null).toJson()).tokenizer().chatTemplate());
    }
}
