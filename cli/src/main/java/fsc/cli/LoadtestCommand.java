package fsc.cli;

import fsc.cli.loadtest.LoadGenerator;
import fsc.cli.loadtest.LoadSpec;
import fsc.cli.loadtest.RequestResult;
import fsc.cli.loadtest.Summary;
import fsc.cli.loadtest.SvgPlot;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.json.Json;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fsc loadtest}: latency percentiles of a local server under open- or closed-loop load. */
@Command(
        name = "loadtest",
        mixinStandardHelpOptions = true,
        description = {
            "Load a local fsc server with streaming completions and report latency and throughput.",
            "Reports throughput, p50/p95/p99 of TTFT,",
            "time between tokens and end-to-end latency per class, rejected/error/disconnected counts and",
            "the server's KV, preemption and CPU figures. Only loopback targets are accepted.",
            "",
            "Example:",
            "  fsc loadtest http://127.0.0.1:8080 --rate 20 --duration 60s --mix interactive=0.3,batch=0.7 \\",
            "      --prompt-len 32..512 --output-len 16..256 --report out/"
        })
final class LoadtestCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "URL", description = "The server, e.g. http://127.0.0.1:8080.")
    URI target;

    @Option(names = "--rate", defaultValue = "0", description = "Open loop: Poisson arrivals per second.")
    double rate;

    @Option(names = "--concurrency", defaultValue = "0", description = "Closed loop: clients sending back to back.")
    int concurrency;

    @Option(names = "--duration", defaultValue = "30s", description = "How long to send. Default: ${DEFAULT-VALUE}.")
    String duration;

    @Option(names = "--max-requests", defaultValue = "100000", description = "Upper bound on requests sent.")
    int maxRequests;

    @Option(
            names = "--mix",
            defaultValue = "interactive=0.3,batch=0.7",
            description = "Class mix. Default: ${DEFAULT-VALUE}.")
    String mix;

    @Option(
            names = "--prompt-len",
            defaultValue = "32..512",
            description = "Prompt words (see --length-dist). Default: ${DEFAULT-VALUE}.")
    String promptLen;

    @Option(
            names = "--output-len",
            defaultValue = "16..256",
            description = "max_tokens (see --length-dist). Default: ${DEFAULT-VALUE}.")
    String outputLen;

    @Option(
            names = "--length-dist",
            defaultValue = "uniform",
            description = "How lengths are drawn from their ranges: uniform, or log-uniform (heavy-tailed, as real"
                    + " traffic is: many short, few long). Default: ${DEFAULT-VALUE}.")
    String lengthDist;

    @Option(
            names = "--ttft-slo-ms",
            defaultValue = "interactive=1000,batch=60000",
            description = "Time-to-first-token objective per class, for goodput (completed requests within it per"
                    + " second); the defaults are fsc serve's budgets. Default: ${DEFAULT-VALUE}.")
    String ttftSlo;

    @Option(
            names = "--ignore-eos",
            description = "Ask for exactly max_tokens tokens (the server's ignore_eos), so output lengths follow"
                    + " --output-len even on models that stop early.")
    boolean ignoreEos;

    @Option(names = "--disconnect", defaultValue = "0", description = "Share of clients that hang up mid-stream.")
    double disconnect;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description = "Seed of arrivals and lengths. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--report", description = "Folder for summary.json, requests.json and latency.svg.")
    Path report;

    @Override
    public Integer call() throws IOException, InterruptedException {
        LoadSpec spec = new LoadSpec(
                target,
                rate,
                concurrency,
                LoadSpec.parseDuration(duration),
                maxRequests,
                LoadSpec.parseMix(mix),
                LoadSpec.Range.parse(promptLen),
                LoadSpec.Range.parse(outputLen),
                disconnect,
                seed,
                logUniform(lengthDist),
                ignoreEos);
        LoadGenerator gen = new LoadGenerator(spec);
        long t0 = System.nanoTime();
        List<RequestResult> results = gen.run();
        double wall = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(300); // the engine publishes its gauges once idle; scrape after that
        Map<String, Double> server = new LinkedHashMap<>(gen.scrape());
        // The gauge covers the time since the previous scrape, here the idle end of the test: report
        // the mean of the scrapes taken while requests were in flight instead.
        gen.samples().stream()
                .filter(x -> x.inFlight() > 0 && Double.isFinite(x.cpu()))
                .mapToDouble(LoadGenerator.Sample::cpu)
                .average()
                .ifPresent(cpu -> server.put("fsc_cpu_utilization", cpu));
        Map<String, Object> summary =
                Summary.of(spec, results, wall, server, LoadSpec.parseClassValues(ttftSlo, "--ttft-slo-ms"));
        System.out.print(Summary.text(summary));
        if (report != null) {
            Files.createDirectories(report);
            Files.writeString(report.resolve("summary.json"), Json.write(summary) + "\n", StandardCharsets.UTF_8);
            Files.writeString(
                    report.resolve("requests.json"),
                    Json.write(results.stream().map(LoadtestCommand::row).toList()) + "\n",
                    StandardCharsets.UTF_8);
            Files.writeString(
                    report.resolve("latency.svg"),
                    SvgPlot.render(results, gen.samples(), wall * 1000),
                    StandardCharsets.UTF_8);
            System.out.println("wrote summary.json, requests.json and latency.svg under " + report);
        }
        return 0;
    }

    /** One request of requests.json: what was asked, what came back, when (ms from the start). */
    private static Map<String, Object> row(RequestResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("priority", r.priority());
        m.put("prompt_words", r.promptWords());
        m.put("max_tokens", r.maxTokens());
        m.put("start_ms", Math.round(r.startMs() * 10) / 10.0);
        m.put("outcome", r.outcome());
        m.put("status", r.status());
        m.put("tokens", r.tokens());
        m.put("ttft_ms", Double.isNaN(r.ttftMs()) ? null : Math.round(r.ttftMs() * 10) / 10.0);
        m.put("e2e_ms", Math.round(r.e2eMs() * 10) / 10.0);
        if (r.error() != null) {
            m.put("error", r.error());
        }
        return m;
    }

    private static boolean logUniform(String dist) {
        return switch (dist) {
            case "uniform" -> false;
            case "log-uniform" -> true;
            default -> throw new RuntimeFailure("--length-dist is uniform or log-uniform, got '" + dist + "'");
        };
    }
}
