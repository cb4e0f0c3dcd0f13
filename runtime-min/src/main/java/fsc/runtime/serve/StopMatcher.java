package fsc.runtime.serve;

import java.util.List;

/**
 * Finds OpenAI {@code stop} sequences in generated text as it streams. Text that could still be
 * the start of a stop sequence is held back, so a client never sees any part of a stop sequence;
 * once one matches, everything from it on is dropped.
 */
final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopMatcher(List<String> stops) {
        this.stops = stops;
    }

    boolean stopped() {
        return stopped;
    }

    /** Adds generated text; returns what may be sent now. */
    String push(String text) {
        if (stopped) {
            return "";
        }
        held.append(text);
        int first = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        if (first >= 0) {
            stopped = true;
            String out = held.substring(0, first);
            held.setLength(0);
            return out;
        }
        String h = held.toString();
        int keep = 0; // the longest tail of held that is a proper prefix of a stop sequence
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, h.length()); k > keep; k--) {
                if (h.regionMatches(h.length() - k, s, 0, k)) {
                    keep = k;
                    break;
                }
            }
        }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** The generation ended without a match: whatever was held back. */
    String flush() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }
}
