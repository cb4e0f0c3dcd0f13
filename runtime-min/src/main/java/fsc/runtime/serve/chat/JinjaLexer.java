package fsc.runtime.serve.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into text, {@code {{ … }}} and {@code {% … %}} segments and tokenizes the
 * insides of tags. Whitespace follows Hugging Face's chat-template environment ({@code
 * trim_blocks} and {@code lstrip_blocks} on, as {@code apply_chat_template} sets them): the
 * newline after a block tag is dropped, and spaces before a block tag alone on its line too;
 * {@code -} inside a delimiter strips all whitespace on that side.
 */
final class JinjaLexer {
    private JinjaLexer() {}

    enum Kind {
        TEXT,
        EXPR,
        STMT
    }

    record Segment(Kind kind, String text, List<Token> tokens) {}

    enum TokenKind {
        NAME,
        STRING,
        INT,
        FLOAT,
        OP
    }

    record Token(TokenKind kind, String text) {}

    private record Raw(Kind kind, String body, boolean stripBefore, boolean stripAfter, boolean block) {}

    static List<Segment> lex(String src) {
        List<Raw> raws = new ArrayList<>();
        int i = 0;
        StringBuilder text = new StringBuilder();
        while (i < src.length()) {
            if (src.charAt(i) == '{' && i + 1 < src.length() && "{%#".indexOf(src.charAt(i + 1)) >= 0) {
                char open = src.charAt(i + 1);
                String close = open == '{' ? "}}" : open == '%' ? "%}" : "#}";
                int end = findClose(src, i + 2, close, open == '#');
                if (end < 0) {
                    throw new TemplateException("unclosed '{" + open + "' at offset " + i);
                }
                String inner = src.substring(i + 2, end);
                boolean stripBefore = inner.startsWith("-");
                boolean stripAfter = inner.endsWith("-") && inner.length() > (stripBefore ? 1 : 0);
                if (inner.startsWith("-") || inner.startsWith("+")) {
                    inner = inner.substring(1);
                }
                if (inner.endsWith("-") || inner.endsWith("+")) {
                    inner = inner.substring(0, inner.length() - 1);
                }
                raws.add(new Raw(Kind.TEXT, text.toString(), false, false, false));
                text.setLength(0);
                Kind k = open == '{' ? Kind.EXPR : Kind.STMT;
                raws.add(new Raw(open == '#' ? null : k, inner, stripBefore, stripAfter, open != '{'));
                i = end + 2;
            } else {
                text.append(src.charAt(i++));
            }
        }
        raws.add(new Raw(Kind.TEXT, text.toString(), false, false, false));
        return whitespace(raws);
    }

    /** The index of {@code close} after {@code from}, skipping quoted strings inside tags. */
    private static int findClose(String src, int from, String close, boolean comment) {
        char quote = 0;
        for (int j = from; j + 1 < src.length(); j++) {
            char c = src.charAt(j);
            if (!comment && quote != 0) {
                if (c == '\\') {
                    j++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (!comment && (c == '\'' || c == '"')) {
                quote = c;
            } else if (src.startsWith(close, j)) {
                return j;
            }
        }
        return -1;
    }

    private static List<Segment> whitespace(List<Raw> raws) {
        List<Segment> out = new ArrayList<>();
        for (int r = 0; r < raws.size(); r++) {
            Raw raw = raws.get(r);
            if (raw.kind() != Kind.TEXT) {
                if (raw.kind() != null) {
                    out.add(new Segment(raw.kind(), raw.body(), tokenize(raw.body())));
                }
                continue;
            }
            String t = raw.body();
            Raw prev = r > 0 ? raws.get(r - 1) : null;
            Raw next = r + 1 < raws.size() ? raws.get(r + 1) : null;
            if (next != null && next.stripBefore()) {
                t = t.stripTrailing();
            } else if (next != null && next.block()) { // lstrip_blocks, judged on the source line
                int k = t.length();
                while (k > 0 && (t.charAt(k - 1) == ' ' || t.charAt(k - 1) == '\t')) {
                    k--;
                }
                if (k == 0 ? prev == null : t.charAt(k - 1) == '\n') {
                    t = t.substring(0, k);
                }
            }
            if (prev != null && prev.stripAfter()) {
                t = t.stripLeading();
            } else if (prev != null && prev.block()) { // trim_blocks
                if (t.startsWith("\r\n")) {
                    t = t.substring(2);
                } else if (t.startsWith("\n")) {
                    t = t.substring(1);
                }
            }
            if (!t.isEmpty()) {
                out.add(new Segment(Kind.TEXT, t, List.of()));
            }
        }
        return out;
    }

    private static final String[] OPS = {
        "==", "!=", "<=", ">=", "//", "**", "<", ">", "+", "-", "*", "/", "%", "~", "|", ".", ",", ":", "(", ")", "[",
        "]", "{", "}", "="
    };

    static List<Token> tokenize(String s) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (Character.isLetter(c) || c == '_') {
                int j = i;
                while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
                    j++;
                }
                out.add(new Token(TokenKind.NAME, s.substring(i, j)));
                i = j;
            } else if (Character.isDigit(c)) {
                int j = i;
                boolean dot = false;
                while (j < s.length()
                        && (Character.isDigit(s.charAt(j))
                                || (s.charAt(j) == '.'
                                        && !dot
                                        && j + 1 < s.length()
                                        && Character.isDigit(s.charAt(j + 1))))) {
                    dot |= s.charAt(j) == '.';
                    j++;
                }
                out.add(new Token(dot ? TokenKind.FLOAT : TokenKind.INT, s.substring(i, j)));
                i = j;
            } else if (c == '\'' || c == '"') {
                StringBuilder b = new StringBuilder();
                int j = i + 1;
                while (j < s.length() && s.charAt(j) != c) {
                    char d = s.charAt(j);
                    if (d == '\\' && j + 1 < s.length()) {
                        char e = s.charAt(++j);
                        b.append(
                                switch (e) {
                                    case 'n' -> '\n';
                                    case 't' -> '\t';
                                    case 'r' -> '\r';
                                    default -> e;
                                });
                    } else {
                        b.append(d);
                    }
                    j++;
                }
                if (j >= s.length()) {
                    throw new TemplateException("unterminated string in '" + s.strip() + "'");
                }
                out.add(new Token(TokenKind.STRING, b.toString()));
                i = j + 1;
            } else {
                String op = null;
                for (String o : OPS) {
                    if (s.startsWith(o, i)) {
                        op = o;
                        break;
                    }
                }
                if (op == null) {
                    throw new TemplateException("unexpected character '" + c + "' in '" + s.strip() + "'");
                }
                out.add(new Token(TokenKind.OP, op));
                i += op.length();
            }
        }
        return out;
    }
}
