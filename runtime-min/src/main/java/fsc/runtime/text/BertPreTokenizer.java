package fsc.runtime.text;

import java.util.ArrayList;
import java.util.List;

/**
 * HuggingFace tokenizers' {@code BertPreTokenizer}: split on whitespace (dropped) and around every
 * punctuation character (kept as a word of its own). Punctuation is ASCII punctuation (33–47,
 * 58–64, 91–96, 123–126, which includes symbols such as {@code $ + < = > ^ ` | ~}) or any Unicode
 * P* category.
 */
final class BertPreTokenizer {
    private BertPreTokenizer() {}

    static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (BertNormalizer.isWhitespace(cp)) {
                flush(word, words);
            } else if (isPunctuation(cp)) {
                flush(word, words);
                words.add(Character.toString(cp));
            } else {
                word.appendCodePoint(cp);
            }
        });
        flush(word, words);
        return words;
    }

    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION,
                    Character.DASH_PUNCTUATION,
                    Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION,
                    Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION,
                    Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    private static void flush(StringBuilder word, List<String> words) {
        if (!word.isEmpty()) {
            words.add(word.toString());
            word.setLength(0);
        }
    }
}
