package fsc.cli.loadtest;

import fsc.runtime.RuntimeFailure;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A load test: open loop ({@code rate} Poisson arrivals per second) or closed loop ({@code
 * concurrency} clients back to back), a class mix, length ranges drawn uniformly or log-uniformly
 * (real output lengths are heavy-tailed: many short answers, a few long ones), a bounded duration
 * and request count, and a share of clients that disconnect mid-stream. {@code ignoreEos} asks the
 * server for exactly {@code max_tokens} tokens, so lengths are what the spec says.
 */
public record LoadSpec(
        URI target,
        double rate,
        int concurrency,
        double durationSeconds,
        int maxRequests,
        Map<String, Double> mix,
        Range promptLength,
        Range outputLength,
        double disconnectFraction,
        long seed,
        boolean logUniform,
        boolean ignoreEos) {

    /** Uniform lengths, stopping at the end-of-sequence token. */
    public LoadSpec(
            URI target,
            double rate,
            int concurrency,
            double durationSeconds,
            int maxRequests,
            Map<String, Double> mix,
            Range promptLength,
            Range outputLength,
            double disconnectFraction,
            long seed) {
        this(
                target,
                rate,
                concurrency,
                durationSeconds,
                maxRequests,
                mix,
                promptLength,
                outputLength,
                disconnectFraction,
                seed,
                false,
                false);
    }

    /** An inclusive integer range, {@code 32..512} or {@code 64}. */
    public record Range(int min, int max) {
        public static Range parse(String s) {
            String[] p = s.split("\\.\\.");
            try {
                int a = Integer.parseInt(p[0].trim());
                int b = p.length > 1 ? Integer.parseInt(p[1].trim()) : a;
                if (p.length > 2 || a < 1 || b < a) {
                    throw new NumberFormatException();
                }
                return new Range(a, b);
            } catch (NumberFormatException e) {
                throw new RuntimeFailure("a length range is N or MIN..MAX with 1 <= MIN <= MAX, got '" + s + "'");
            }
        }

        /** A length in the range: uniform, or log-uniform (as likely in 8..16 as in 256..512). */
        public int draw(SplittableRandom rnd, boolean logUniform) {
            if (logUniform) {
                double v = Math.exp(Math.log(min) + rnd.nextDouble() * (Math.log(max + 1.0) - Math.log(min)));
                return Math.min(max, (int) v);
            }
            return min + rnd.nextInt(max - min + 1);
        }
    }

    public LoadSpec {
        String host = target.getHost();
        if (host == null || !(host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]"))) {
            throw new RuntimeFailure("fsc loadtest only targets loopback (127.0.0.1, localhost, [::1]), got " + target);
        }
        if ((rate > 0) == (concurrency > 0)) {
            throw new RuntimeFailure("give either --rate (open loop) or --concurrency (closed loop)");
        }
        if (!(durationSeconds > 0) || maxRequests < 1) {
            throw new RuntimeFailure("--duration and --max-requests must be positive");
        }
        if (!(disconnectFraction >= 0 && disconnectFraction <= 1)) {
            throw new RuntimeFailure("--disconnect must be in 0..1");
        }
        mix = Map.copyOf(mix);
    }

    /** {@code interactive=0.3,batch=0.7}, normalised to sum 1, in the written order. */
    public static Map<String, Double> parseMix(String s) {
        Map<String, Double> m = parseClassValues(s, "--mix");
        double sum = m.values().stream().mapToDouble(Double::doubleValue).sum();
        if (!(sum > 0)) {
            throw new RuntimeFailure("--mix weights sum to zero");
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (var e : m.entrySet()) {
            out.put(e.getKey(), e.getValue() / sum);
        }
        return out;
    }

    /** {@code interactive=X,batch=Y} with non-negative numbers, in the written order; {@code option} names errors. */
    public static Map<String, Double> parseClassValues(String s, String option) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String part : s.split(",")) {
            String[] kv = part.split("=");
            if (kv.length != 2 || !(kv[0].equals("interactive") || kv[0].equals("batch"))) {
                throw new RuntimeFailure(
                        option + " is class=value,... with classes interactive and batch, got '" + s + "'");
            }
            double w;
            try {
                w = Double.parseDouble(kv[1]);
            } catch (NumberFormatException e) {
                throw new RuntimeFailure(option + " value '" + kv[1] + "' is not a number");
            }
            if (!(w >= 0)) {
                throw new RuntimeFailure(option + " values must be >= 0");
            }
            m.put(kv[0], w);
        }
        return m;
    }

    /** {@code 60s}, {@code 2m}, {@code 500ms} or seconds. */
    public static double parseDuration(String s) {
        String t = s.trim();
        try {
            if (t.endsWith("ms")) {
                return Double.parseDouble(t.substring(0, t.length() - 2)) / 1000;
            }
            if (t.endsWith("s")) {
                return Double.parseDouble(t.substring(0, t.length() - 1));
            }
            if (t.endsWith("m")) {
                return Double.parseDouble(t.substring(0, t.length() - 1)) * 60;
            }
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new RuntimeFailure("a duration is like 60s, 2m or 500ms, got '" + s + "'");
        }
    }
}
