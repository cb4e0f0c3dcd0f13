package fsc.runtime.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TextCodecTest {
    @Test
    void completePrefixHoldsBackUnfinishedUtf8() {
        byte[] euro = "a€".getBytes(StandardCharsets.UTF_8); // 61 E2 82 AC
        assertEquals(4, TextCodec.completePrefix(euro));
        assertEquals(1, TextCodec.completePrefix(java.util.Arrays.copyOf(euro, 3)));
        assertEquals(1, TextCodec.completePrefix(java.util.Arrays.copyOf(euro, 2)));
        byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);
        assertEquals(0, TextCodec.completePrefix(java.util.Arrays.copyOf(emoji, 3)));
        assertEquals(4, TextCodec.completePrefix(emoji));
    }
}
