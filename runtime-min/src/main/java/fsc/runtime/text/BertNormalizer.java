package fsc.runtime.text;

import java.text.Normalizer;

/**
 * HuggingFace tokenizers' {@code BertNormalizer}, step for step (tokenizers/src/normalizers/bert.rs):
 * clean text (drop NUL, U+FFFD and "other" characters — Cc, Cf, Cs, Co, Cn — except tab, newline
 * and carriage return; turn whitespace into a space), put spaces around CJK ideographs, strip
 * accents (NFD, then drop non-spacing marks), lowercase character by character.
 */
record BertNormalizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase) {
    String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        text.codePoints().forEach(cp -> {
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                    return;
                }
                if (isWhitespace(cp)) {
                    cp = ' ';
                }
            }
            if (handleChineseChars && isChinese(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        });
        String s = sb.toString();
        if (stripAccents) {
            StringBuilder out = new StringBuilder(s.length());
            Normalizer.normalize(s, Normalizer.Form.NFD).codePoints().forEach(cp -> {
                if (Character.getType(cp) != Character.NON_SPACING_MARK) {
                    out.appendCodePoint(cp);
                }
            });
            s = out.toString();
        }
        if (lowercase) {
            // Per character, as Rust's char::to_lowercase: no context-dependent final sigma; İ is
            // the one character whose full lowercase mapping is two characters.
            StringBuilder out = new StringBuilder(s.length());
            s.codePoints().forEach(cp -> {
                if (cp == 0x130) {
                    out.append("i\u0307");
                } else {
                    out.appendCodePoint(Character.toLowerCase(cp));
                }
            });
            s = out.toString();
        }
        return s;
    }

    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL
                || t == Character.FORMAT
                || t == Character.SURROGATE
                || t == Character.PRIVATE_USE
                || t == Character.UNASSIGNED;
    }

    /** Unicode's White_Space property (what Rust's char::is_whitespace tests). */
    static boolean isWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D)
                || cp == 0x20
                || cp == 0x85
                || cp == 0xA0
                || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028
                || cp == 0x2029
                || cp == 0x202F
                || cp == 0x205F
                || cp == 0x3000;
    }

    /** The CJK Unified Ideographs blocks BERT's original tokenizer treats as words of their own. */
    static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
