package fsc.passes.golden;

import java.util.ArrayList;
import java.util.List;

/**
 * A small FileCheck: {@code CHECK: text} finds the next line containing {@code text},
 * {@code CHECK-NEXT: text} requires it on the line right after the previous match, {@code CHECK-NOT:
 * text} forbids it between the previous match and the next one (or the end). Matching is by
 * substring, in order, so a check names what matters and ignores the rest of the line.
 */
record FileCheck(List<Check> checks) {

    enum Kind {
        CHECK,
        NEXT,
        NOT
    }

    /** One directive, with the line of the test file it came from for the failure message. */
    record Check(Kind kind, String pattern, int line) {}

    /** Reads the directive on {@code line} (the text after {@code //}), or null when there is none. */
    static Check parse(String line, int lineNumber) {
        String t = line.strip();
        if (!t.startsWith("//")) {
            return null;
        }
        t = t.substring(2).strip();
        if (t.startsWith("CHECK-NEXT:")) {
            return new Check(Kind.NEXT, t.substring("CHECK-NEXT:".length()).strip(), lineNumber);
        }
        if (t.startsWith("CHECK-NOT:")) {
            return new Check(Kind.NOT, t.substring("CHECK-NOT:".length()).strip(), lineNumber);
        }
        if (t.startsWith("CHECK:")) {
            return new Check(Kind.CHECK, t.substring("CHECK:".length()).strip(), lineNumber);
        }
        return null;
    }

    /** Null when {@code output} satisfies every check, else what failed and where. */
    String match(String output) {
        List<String> lines = output.lines().toList();
        int cursor = 0;
        int lastMatch = -1;
        List<Check> pendingNot = new ArrayList<>();
        for (Check c : checks) {
            switch (c.kind()) {
                case NOT -> pendingNot.add(c);
                case NEXT -> {
                    if (lastMatch < 0) {
                        return "line " + c.line() + ": CHECK-NEXT without a CHECK before it";
                    }
                    if (cursor >= lines.size() || !lines.get(cursor).contains(c.pattern())) {
                        return "line " + c.line() + ": CHECK-NEXT: '" + c.pattern() + "' is not on the line after "
                                + "the previous match; that line is: "
                                + (cursor < lines.size()
                                        ? "'" + lines.get(cursor).strip() + "'"
                                        : "end of output");
                    }
                    String not = firstNot(pendingNot, lines, cursor, cursor);
                    if (not != null) {
                        return not;
                    }
                    lastMatch = cursor++;
                }
                case CHECK -> {
                    int found = -1;
                    for (int i = cursor; i < lines.size(); i++) {
                        if (lines.get(i).contains(c.pattern())) {
                            found = i;
                            break;
                        }
                    }
                    if (found < 0) {
                        return "line " + c.line() + ": CHECK: '" + c.pattern() + "' not found after output line "
                                + cursor;
                    }
                    String not = firstNot(pendingNot, lines, cursor, found);
                    if (not != null) {
                        return not;
                    }
                    lastMatch = found;
                    cursor = found + 1;
                }
            }
        }
        return firstNot(pendingNot, lines, cursor, lines.size());
    }

    /** Checks the pending CHECK-NOTs over output lines {@code [from, to)} and clears them. */
    private static String firstNot(List<Check> pending, List<String> lines, int from, int to) {
        try {
            for (Check n : pending) {
                for (int i = from; i < to; i++) {
                    if (lines.get(i).contains(n.pattern())) {
                        return "line " + n.line() + ": CHECK-NOT: '" + n.pattern() + "' found on output line " + (i + 1)
                                + ": '" + lines.get(i).strip() + "'";
                    }
                }
            }
            return null;
        } finally {
            pending.clear();
        }
    }
}
