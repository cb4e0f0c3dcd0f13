package fsc.cli;

import java.util.Collection;

/** "Did you mean": the known name closest to a mistyped one, by Levenshtein distance. */
final class Suggest {
    private Suggest() {}

    /**
     * The name in {@code known} nearest to {@code typed}, or null when none is near: a third of the
     * typed length (at least 1, at most 3) edits, or {@code typed} a prefix of exactly one name.
     * Ties go to the name listed first, so the answer does not depend on hashing.
     */
    static String closest(String typed, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        int limit = Math.max(1, Math.min(3, typed.length() / 3));
        for (String name : known) {
            int d = distance(typed, name);
            if (d < bestDistance) {
                best = name;
                bestDistance = d;
            }
        }
        if (bestDistance <= limit) {
            return best;
        }
        String prefixed = null;
        for (String name : known) {
            if (typed.length() >= 2 && name.startsWith(typed)) {
                if (prefixed != null) {
                    return null;
                }
                prefixed = name;
            }
        }
        return prefixed;
    }

    /** Levenshtein distance: insertions, deletions and substitutions, each costing 1. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
