package fsc.compiler;

import fsc.ir.FscException;
import fsc.ir.Graph;
import java.util.Locale;

/**
 * {@code --memory-cap SIZE}: refuses, before the jar is written, a model whose settings need more
 * memory than the device has for it. What is counted is what the model holds whatever the input:
 * the weights (mapped from the jar; resident once touched), the arena that {@code plan-memory}
 * sized for the symbols' bounds, and for a decoder the KV cache of one sequence at the full
 * context. The JVM's own ~40–60 MB (heap, code cache, metaspace) is not: the cap is the model's
 * budget, and {@code fsc run} reports the process's real peak RSS to compare with.
 */
final class MemoryCap {
    private MemoryCap() {}

    /** {@code 512M}, {@code 2G}, {@code 300000K} or a byte count. */
    static long parse(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("K") || t.endsWith("M") || t.endsWith("G")) {
            unit = switch (t.charAt(t.length() - 1)) {
                case 'K' -> 1L << 10;
                case 'M' -> 1L << 20;
                default -> 1L << 30;
            };
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t);
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(v, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new FscException(
                    "--memory-cap " + text + " is not a size", "give a positive number with K, M or G, e.g. 256M");
        }
    }

    /**
     * Throws when the weights, the arena of {@code g}'s memory plan and {@code kvBytes} exceed the
     * cap of {@code s} (none: nothing to check).
     */
    static void check(CompileSettings s, Graph g, long kvBytes) {
        if (s.memoryCap() == null) {
            return;
        }
        long cap = parse(s.memoryCap());
        long weights = g.weights().byName().values().stream()
                .mapToLong(w -> w.bytes().remaining())
                .sum();
        long arena = g.plan() == null ? 0 : g.plan().arenaBytes();
        long total = weights + arena + kvBytes;
        if (total > cap) {
            throw new FscException(
                    String.format(
                            Locale.ROOT,
                            "%s: needs about %.1f MB (weights %.1f MB, arena %.1f MB%s), over --memory-cap %s",
                            s.input(),
                            total / 1e6,
                            weights / 1e6,
                            arena / 1e6,
                            kvBytes > 0 ? String.format(Locale.ROOT, ", KV cache %.1f MB", kvBytes / 1e6) : "",
                            s.memoryCap()),
                    EdgeProfile.on(s)
                            ? "lower the bounds (--bound, --max-context) or quantize further (--quantize int4)"
                            : "lower the bounds (--bound, --max-context), quantize (--quantize int8 or int4), or"
                                    + " use --profile edge");
        }
    }
}
