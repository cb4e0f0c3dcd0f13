package fsc.cli.loadtest;

import fsc.runtime.json.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Aggregates of a load test: throughput, outcome counts and latency percentiles per class. */
public final class Summary {
    private Summary() {}

    /**
     * The JSON summary; {@code server} is the final /metrics scrape (summed over labels). Goodput
     * counts the requests that completed with their first token within {@code ttftSloMs} of their
     * class (a class missing from the map has no objective).
     */
    public static Map<String, Object> of(
            LoadSpec spec,
            List<RequestResult> results,
            double wallSeconds,
            Map<String, Double> server,
            Map<String, Double> ttftSloMs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", spec.target().toString());
        m.put("mode", spec.rate() > 0 ? "open" : "closed");
        m.put("rate", spec.rate());
        m.put("concurrency", spec.concurrency());
        m.put("length_dist", spec.logUniform() ? "log-uniform" : "uniform");
        m.put("ignore_eos", spec.ignoreEos());
        m.put("duration_s", round(wallSeconds));
        m.put("requests", results.size());
        long tokens = results.stream().mapToLong(RequestResult::tokens).sum();
        m.put("tokens", tokens);
        m.put("throughput_tokens_per_s", round(tokens / wallSeconds));
        double window = Math.min(wallSeconds, spec.durationSeconds());
        m.put("window_tokens_per_s", round(tokensBefore(results, window * 1000) / window));
        m.put("completed_per_s", round(count(results, "ok") / wallSeconds));
        m.put("goodput_per_s", round(good(results, ttftSloMs) / wallSeconds));
        m.put("ttft_slo_ms", new TreeMap<>(ttftSloMs));
        m.put("outcomes", outcomes(results));
        Map<String, Object> classes = new LinkedHashMap<>();
        for (String c : new TreeMap<>(group(results)).keySet()) {
            classes.put(c, perClass(group(results).get(c), wallSeconds, ttftSloMs));
        }
        m.put("classes", classes);
        Map<String, Object> s = new LinkedHashMap<>();
        for (String k : List.of(
                "fsc_preempted_total",
                "fsc_deferred_total",
                "fsc_requests_rejected_total",
                "fsc_kv_blocks_used",
                "fsc_kv_blocks_total",
                "fsc_prefix_hit_rate",
                "fsc_cpu_utilization",
                "fsc_cost_fixed_ms",
                "fsc_cost_per_token_ms")) {
            s.put(k, server.containsKey(k) ? round(server.get(k)) : null);
        }
        m.put("server", s);
        return m;
    }

    private static Map<String, Object> perClass(List<RequestResult> rs, double wall, Map<String, Double> slo) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests", rs.size());
        m.put("outcomes", outcomes(rs));
        m.put("goodput_per_s", round(good(rs, slo) / wall));
        long tokens = rs.stream().mapToLong(RequestResult::tokens).sum();
        m.put("tokens_per_s", round(tokens / wall));
        List<RequestResult> ok =
                rs.stream().filter(r -> r.outcome().equals("ok")).toList();
        m.put("ttft_ms", pct(ok.stream().mapToDouble(RequestResult::ttftMs).toArray()));
        m.put(
                "tbt_ms",
                pct(ok.stream()
                        .flatMapToDouble(r -> java.util.Arrays.stream(r.tbtMs()))
                        .toArray()));
        m.put("e2e_ms", pct(ok.stream().mapToDouble(RequestResult::e2eMs).toArray()));
        return m;
    }

    static Map<String, Object> pct(double[] v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", v.length);
        m.put("p50", round(Percentiles.of(v, 0.50)));
        m.put("p95", round(Percentiles.of(v, 0.95)));
        m.put("p99", round(Percentiles.of(v, 0.99)));
        return m;
    }

    private static Map<String, Object> outcomes(List<RequestResult> rs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String o : List.of("ok", "rejected", "error", "disconnected")) {
            m.put(o, count(rs, o));
        }
        return m;
    }

    /**
     * Tokens received before {@code ms} from the start: the throughput while the load was applied,
     * without the drain of the requests still running when sending stopped (which would favour
     * whichever scheduler leaves the shortest tail).
     */
    static long tokensBefore(List<RequestResult> rs, double ms) {
        long n = 0;
        for (RequestResult r : rs) {
            if (Double.isNaN(r.ttftMs())) {
                continue;
            }
            double t = r.startMs() + r.ttftMs();
            if (t <= ms) {
                n++;
            }
            for (double gap : r.tbtMs()) {
                t += gap;
                if (t <= ms) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Completed requests whose first token came within their class's TTFT objective. */
    static long good(List<RequestResult> rs, Map<String, Double> slo) {
        return rs.stream()
                .filter(r -> r.outcome().equals("ok")
                        && r.ttftMs() <= slo.getOrDefault(r.priority(), Double.POSITIVE_INFINITY))
                .count();
    }

    private static long count(List<RequestResult> rs, String outcome) {
        return rs.stream().filter(r -> r.outcome().equals(outcome)).count();
    }

    private static Map<String, List<RequestResult>> group(List<RequestResult> rs) {
        Map<String, List<RequestResult>> g = new TreeMap<>();
        for (RequestResult r : rs) {
            g.computeIfAbsent(r.priority(), k -> new ArrayList<>()).add(r);
        }
        return g;
    }

    private static Object round(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 100) / 100.0;
    }

    /** A few human lines for the terminal. */
    public static String text(Map<String, Object> s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "%s requests in %s s: %s tok/s (%s while sending), %s completed/s, goodput %s/s (TTFT within %s ms),"
                        + " outcomes %s%n",
                s.get("requests"),
                s.get("duration_s"),
                s.get("throughput_tokens_per_s"),
                s.get("window_tokens_per_s"),
                s.get("completed_per_s"),
                s.get("goodput_per_s"),
                Json.write(s.get("ttft_slo_ms")),
                Json.write(s.get("outcomes"))));
        Map<?, ?> classes = (Map<?, ?>) s.get("classes");
        for (var e : classes.entrySet()) {
            Map<?, ?> c = (Map<?, ?>) e.getValue();
            b.append(String.format(
                    Locale.ROOT,
                    "  %-11s ttft %s  tbt %s  e2e %s%n",
                    e.getKey(),
                    Json.write(c.get("ttft_ms")),
                    Json.write(c.get("tbt_ms")),
                    Json.write(c.get("e2e_ms"))));
        }
        b.append("  server ").append(Json.write(s.get("server"))).append('\n');
        return b.toString();
    }
}
