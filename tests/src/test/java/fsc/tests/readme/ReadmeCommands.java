package fsc.tests.readme;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shell commands in a Markdown file's fenced code blocks, as {@link ReadmeSmokeTest} runs them.
 * A line ending in {@code \} continues on the next; a {@code #} after blank space starts a comment;
 * words split as a POSIX shell splits them, with single and double quotes. Notes in the comment
 * mark what cannot simply run: {@code [skip: why]}, {@code [needs: tool]} (a program on PATH),
 * {@code [server]} (runs in the background while the rest of its block runs).
 */
record ReadmeCommands(Path file, List<Block> blocks) {
    /** One fenced code block: its commands, in order. */
    record Block(int line, List<Command> commands) {}

    /**
     * One command line.
     *
     * @param line the 1-based line it starts on
     * @param words the command, split into words
     * @param skip why it is not run, or null
     * @param needs a program it needs on PATH, or null
     * @param server whether it is a server the block's later commands talk to
     */
    record Command(int line, String text, List<String> words, String skip, String needs, boolean server) {
        String label() {
            String t = text.length() > 110 ? text.substring(0, 107) + "..." : text;
            return "line " + line + ": " + t;
        }
    }

    private static final Pattern SKIP = Pattern.compile("\\[skip:\\s*([^]]+)]");
    private static final Pattern NEEDS = Pattern.compile("\\[needs:\\s*([^]\\s]+)\\s*]");

    static ReadmeCommands read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        List<Block> blocks = new ArrayList<>();
        List<Command> current = null;
        int blockLine = 0;
        for (int i = 0; i < lines.size(); i++) {
            String raw = lines.get(i);
            if (raw.strip().startsWith("```")) {
                if (current == null) {
                    current = new ArrayList<>();
                    blockLine = i + 1;
                } else {
                    blocks.add(new Block(blockLine, List.copyOf(current)));
                    current = null;
                }
                continue;
            }
            if (current == null || raw.isBlank()) {
                continue;
            }
            int start = i + 1;
            StringBuilder joined = new StringBuilder();
            String l = raw;
            while (l.stripTrailing().endsWith("\\") && i + 1 < lines.size()) {
                String t = l.stripTrailing();
                joined.append(t, 0, t.length() - 1).append(' ');
                l = lines.get(++i);
            }
            joined.append(l);
            current.add(parse(start, joined.toString()));
        }
        if (current != null) {
            throw new IllegalStateException(file + ": a code block opened at line " + blockLine + " is not closed");
        }
        return new ReadmeCommands(file, List.copyOf(blocks));
    }

    static Command parse(int line, String text) {
        int hash = commentStart(text);
        String command = (hash < 0 ? text : text.substring(0, hash)).strip();
        String comment = hash < 0 ? "" : text.substring(hash + 1);
        Matcher skip = SKIP.matcher(comment);
        Matcher needs = NEEDS.matcher(comment);
        return new Command(
                line,
                command.replaceAll("\\s+", " "),
                words(command),
                skip.find() ? skip.group(1).strip() : null,
                needs.find() ? needs.group(1) : null,
                comment.contains("[server]"));
    }

    /** Index of the {@code #} that starts a comment: outside quotes and after blank space, or -1. */
    static int commentStart(String s) {
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(s.charAt(i - 1)))) {
                return i;
            }
        }
        return -1;
    }

    /** Shell words: blanks separate, quotes group and are removed, a backslash escapes outside single quotes. */
    static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote == '\'') {
                if (c == '\'') {
                    quote = 0;
                } else {
                    w.append(c);
                }
            } else if (quote == '"') {
                if (c == '"') {
                    quote = 0;
                } else if (c == '\\' && i + 1 < s.length() && "\"\\$`".indexOf(s.charAt(i + 1)) >= 0) {
                    w.append(s.charAt(++i));
                } else {
                    w.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < s.length()) {
                w.append(s.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
            } else {
                w.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unclosed quote in: " + s);
        }
        if (inWord) {
            out.add(w.toString());
        }
        return out;
    }
}
