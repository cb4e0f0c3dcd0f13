package fsc.runtime.serve;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code /metrics} page of a server with several models: each model's own exposition plus the
 * routing gauges below, merged family by family (the text format wants one HELP/TYPE and all
 * samples of a family together) with a {@code model_name} label on every sample, as vLLM labels
 * its series. Server-wide: {@code fsc_http_requests_total{route,status}} (401s and 429s from keys
 * happen before a model is known).
 *
 * <p>Routing gauges, under the names the Gateway API Inference Extension's endpoint picker, llm-d
 * and KServe read by default (their model-server protocol names vLLM's metrics): {@code
 * vllm:num_requests_waiting}, {@code vllm:num_requests_running}, {@code vllm:kv_cache_usage_perc}
 * (a 0..1 fraction, whatever the name says) and its older name {@code vllm:gpu_cache_usage_perc},
 * {@code vllm:lora_requests_info} (fsc serves no adapters: {@code max_lora="0"}, empty lists; the
 * value is the time of the scrape, which the picker uses to take the latest series) and {@code
 * vllm:cache_config_info} (block size and block count, labels only).
 */
final class MetricsPage {
    /** The routing metric names, for tests and deployment files to check against. */
    static final List<String> ROUTING = List.of(
            "vllm:num_requests_waiting",
            "vllm:num_requests_running",
            "vllm:kv_cache_usage_perc",
            "vllm:gpu_cache_usage_perc",
            "vllm:lora_requests_info",
            "vllm:cache_config_info");

    private final Map<String, AtomicLong> http = new ConcurrentHashMap<>();

    void counted(String route, int status) {
        http.computeIfAbsent(route + "\u0000" + status, k -> new AtomicLong()).incrementAndGet();
    }

    String render(List<ServedModel> models) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        Map<String, List<String>> samples = new LinkedHashMap<>();
        for (ServedModel m : models) {
            String label = "model_name=\"" + escape(m.id()) + "\"";
            merge(m.metrics().render() + routing(m), label, headers, samples);
        }
        StringBuilder out = new StringBuilder(16384);
        for (Map.Entry<String, List<String>> f : headers.entrySet()) {
            f.getValue().forEach(l -> out.append(l).append('\n'));
            samples.getOrDefault(f.getKey(), List.of())
                    .forEach(l -> out.append(l).append('\n'));
        }
        out.append("# HELP fsc_http_requests_total Requests answered, by route and status.\n");
        out.append("# TYPE fsc_http_requests_total counter\n");
        http.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String[] k = e.getKey().split("\u0000");
            out.append("fsc_http_requests_total{route=\"")
                    .append(escape(k[0]))
                    .append("\",status=\"")
                    .append(k[1])
                    .append("\"} ")
                    .append(e.getValue().get())
                    .append('\n');
        });
        return out.toString();
    }

    private static String routing(ServedModel m) {
        Metrics.Gauges g = m.metrics().gauges();
        int running = 0;
        int waiting = 0;
        for (int i = 0; i < g.running().length; i++) {
            running += g.running()[i];
            waiting += g.waiting()[i];
        }
        double usage = g.kvTotal() == 0 ? 0 : (double) g.kvUsed() / g.kvTotal();
        int blockSize = m instanceof ServedModel.Generator gen ? gen.kvBlockSize() : 0;
        StringBuilder b = new StringBuilder();
        gauge(b, "vllm:num_requests_running", "Requests running (fsc: sequences in a slot).", running);
        gauge(b, "vllm:num_requests_waiting", "Requests waiting to be scheduled.", waiting);
        gauge(b, "vllm:kv_cache_usage_perc", "Fraction of KV-cache blocks in use (0..1).", usage);
        gauge(b, "vllm:gpu_cache_usage_perc", "Older name of vllm:kv_cache_usage_perc (0..1).", usage);
        header(b, "vllm:lora_requests_info", "LoRA adapters (fsc serves none); the value is the scrape time.");
        b.append("vllm:lora_requests_info{max_lora=\"0\",running_lora_adapters=\"\",waiting_lora_adapters=\"\"} ")
                .append(System.currentTimeMillis() / 1000)
                .append('\n');
        header(b, "vllm:cache_config_info", "KV-cache configuration, in labels.");
        b.append(String.format(
                Locale.ROOT,
                "vllm:cache_config_info{block_size=\"%d\",num_gpu_blocks=\"%d\"} 1%n",
                blockSize,
                g.kvTotal()));
        return b.toString();
    }

    private static void gauge(StringBuilder b, String name, String help, double v) {
        header(b, name, help);
        b.append(name).append(' ').append(Histogram.format(v)).append('\n');
    }

    private static void header(StringBuilder b, String name, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" gauge\n");
    }

    /** Adds one exposition's lines: headers once per family, samples with {@code label} prepended. */
    static void merge(String text, String label, Map<String, List<String>> headers, Map<String, List<String>> samples) {
        String family = null;
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String name = line.substring(7).split(" ", 2)[0];
                family = name;
                List<String> h = headers.computeIfAbsent(name, k -> new ArrayList<>());
                if (h.size() < 2 && !h.contains(line)) {
                    h.add(line);
                }
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            int space = line.indexOf(' ');
            int brace = line.indexOf('{');
            String labelled = brace >= 0 && brace < space
                    ? line.substring(0, brace + 1)
                            + label
                            + (line.charAt(brace + 1) == '}' ? "" : ",")
                            + line.substring(brace + 1)
                    : line.substring(0, space) + "{" + label + "}" + line.substring(space);
            String key = family != null ? family : line.substring(0, brace >= 0 && brace < space ? brace : space);
            headers.computeIfAbsent(key, k -> new ArrayList<>());
            samples.computeIfAbsent(key, k -> new ArrayList<>()).add(labelled);
        }
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
