package fsc.runtime.serve;

import fsc.runtime.RuntimeFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * {@code --api-keys FILE}: who may call the server, how often, and in which priority class. One
 * key a line, whitespace-separated, {@code #} comments:
 *
 * <pre>
 * # name   key                 requests/s  tokens/min  class         [admin]
 * alice    sk-alice-0f3c9a...  5           20000       interactive
 * nightly  sk-batch-77e1d2...  1           200000      batch
 * ops      sk-ops-c41b...      -           -           interactive   admin
 * </pre>
 *
 * {@code -} means no limit. The class caps a request's priority (a batch key's requests run as
 * batch whatever they ask); {@code admin} allows {@code /admin/*}. Keys are held only as SHA-256
 * digests and compared in constant time; logs and errors name the key's {@code name}, never the key.
 * Limits are token buckets: requests/s with a burst of one second's worth, tokens/min with a burst
 * of one minute's worth; prompt tokens are charged at admission, generated ones as the request
 * ends (so a bucket may go negative and hold later requests back).
 */
public final class ApiKeys {
    /** One caller. */
    public record Key(
            String name, double requestsPerSecond, double tokensPerMinute, Priority priority, boolean admin) {}

    /** A refusal: status 401 or 429 with a {@code Retry-After} in seconds (0 for none). */
    public record Refusal(int status, String message, int retryAfterSeconds) {}

    private final Map<String, Key> byDigest = new HashMap<>();
    private final Map<String, Bucket> requests = new HashMap<>();
    private final Map<String, Bucket> tokens = new HashMap<>();

    private ApiKeys() {}

    public static ApiKeys load(Path file) {
        try {
            return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new RuntimeFailure("cannot read --api-keys " + file + ": " + e.getMessage());
        }
    }

    public static ApiKeys parse(List<String> lines, String source) {
        ApiKeys keys = new ApiKeys();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String at = source + ":" + (i + 1);
            String[] f = line.split("\\s+");
            if (f.length < 5 || f.length > 6 || (f.length == 6 && !f[5].equals("admin"))) {
                throw new RuntimeFailure(at + ": expected 'name key requests/s tokens/min class [admin]'");
            }
            Priority p;
            try {
                p = Priority.parse(f[4]);
            } catch (RuntimeException e) {
                throw new RuntimeFailure(at + ": " + e.getMessage());
            }
            Key k = new Key(f[0], rate(f[2], at), rate(f[3], at), p, f.length == 6);
            if (keys.byDigest.put(digest(f[1]), k) != null) {
                throw new RuntimeFailure(at + ": the key of '" + f[0] + "' appears twice");
            }
            keys.requests.put(k.name(), new Bucket(k.requestsPerSecond(), Math.max(1, k.requestsPerSecond())));
            keys.tokens.put(k.name(), new Bucket(k.tokensPerMinute() / 60, k.tokensPerMinute()));
        }
        if (keys.byDigest.isEmpty()) {
            throw new RuntimeFailure(source + " holds no key");
        }
        return keys;
    }

    private static double rate(String v, String at) {
        if (v.equals("-")) {
            return Double.POSITIVE_INFINITY;
        }
        try {
            double d = Double.parseDouble(v);
            if (d > 0 && Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new RuntimeFailure(at + ": a limit must be a positive number or '-', got '" + v + "'");
    }

    private static String digest(String secret) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** The key an {@code Authorization: Bearer …} header names, or null. */
    public Key authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        // A hash-map lookup by digest: the time taken does not depend on how much of a key matched.
        return byDigest.get(digest(authorization.substring(7).strip()));
    }

    /** Charges one request; a refusal when the key is over its requests/s. */
    public synchronized Refusal admitRequest(Key k, long nowNanos) {
        Bucket b = requests.get(k.name());
        double wait = b.take(1, 1, nowNanos);
        return wait <= 0 ? null : tooMany(k, "requests/s", wait);
    }

    /** Charges a prompt; a refusal when the key's tokens/min bucket cannot cover it now. */
    public synchronized Refusal admitTokens(Key k, int promptTokens, long nowNanos) {
        Bucket b = tokens.get(k.name());
        double wait = b.take(promptTokens, Math.min(promptTokens, b.capacity), nowNanos);
        return wait <= 0 ? null : tooMany(k, "tokens/min", wait);
    }

    /** Charges generated tokens (may leave the bucket negative). */
    public synchronized void charge(Key k, int generatedTokens, long nowNanos) {
        tokens.get(k.name()).force(generatedTokens, nowNanos);
    }

    private static Refusal tooMany(Key k, String what, double waitSeconds) {
        return new Refusal(429, "key '" + k.name() + "' is over its " + what + " limit", (int)
                Math.max(1, Math.ceil(waitSeconds)));
    }

    /** A token bucket; time in nanoseconds. */
    private static final class Bucket {
        final double perSecond;
        final double capacity;
        double level;
        long last = Long.MIN_VALUE;

        Bucket(double perSecond, double capacity) {
            this.perSecond = perSecond;
            this.capacity = capacity;
            this.level = capacity;
        }

        void refill(long now) {
            if (last != Long.MIN_VALUE && Double.isFinite(perSecond)) {
                level = Math.min(capacity, level + perSecond * (now - last) / 1e9);
            }
            last = now;
        }

        /** Takes {@code amount} when at least {@code need} is there; else the seconds until it is. */
        double take(double amount, double need, long now) {
            if (!Double.isFinite(perSecond)) {
                return 0;
            }
            refill(now);
            if (level >= need) {
                level -= amount;
                return 0;
            }
            return (need - level) / perSecond;
        }

        void force(double amount, long now) {
            if (Double.isFinite(perSecond)) {
                refill(now);
                level -= amount;
            }
        }
    }
}
