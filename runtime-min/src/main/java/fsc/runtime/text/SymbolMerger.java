package fsc.runtime.text;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The merge loop shared by llama.cpp's SentencePiece and BPE tokenizers: a doubly linked list of
 * symbols (spans of one word), a priority queue of adjacent pairs that form a known token, and
 * repeated merging of the best pair. Pairs made stale by an earlier merge are recognised by their
 * recorded length, as in llama.cpp's {@code llm_tokenizer_spm}; ties go to the leftmost pair.
 */
final class SymbolMerger {
    /**
     * How good merging {@code text[start, mid)} with {@code text[mid, end)} is: higher is better;
     * {@link Double#NaN} means the pair must not merge.
     */
    interface Priority {
        double of(String text, int start, int mid, int end);
    }

    private record Pair(int left, int right, double priority, int length) {}

    private SymbolMerger() {}

    /**
     * Merges the symbols whose boundaries are {@code bounds} (ascending, first 0, last {@code
     * text.length()}) and returns the boundaries of the final symbols.
     */
    static List<int[]> merge(String text, int[] bounds, Priority priority) {
        int n = bounds.length - 1;
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            start[i] = bounds[i];
            len[i] = bounds[i + 1] - bounds[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Pair> queue = new PriorityQueue<>((a, b) -> a.priority() != b.priority()
                ? Double.compare(b.priority(), a.priority())
                : Integer.compare(a.left(), b.left()));
        for (int i = 1; i < n; i++) {
            offer(queue, text, start, len, i - 1, i, priority);
        }
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            int l = p.left();
            int r = p.right();
            if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != p.length()) {
                continue; // one side was merged into something else since this pair was queued
            }
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            if (prev[l] >= 0) {
                offer(queue, text, start, len, prev[l], l, priority);
            }
            if (next[l] >= 0) {
                offer(queue, text, start, len, l, next[l], priority);
            }
        }
        List<int[]> out = new ArrayList<>();
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) {
            out.add(new int[] {start[i], start[i] + len[i]});
        }
        return out;
    }

    private static void offer(
            PriorityQueue<Pair> queue, String text, int[] start, int[] len, int l, int r, Priority priority) {
        double p = priority.of(text, start[l], start[r], start[r] + len[r]);
        if (!Double.isNaN(p)) {
            queue.add(new Pair(l, r, p, len[l] + len[r]));
        }
    }
}
