package fsc.cli.loadtest;

import fsc.runtime.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Drives a server with streaming completions on virtual threads and records what each request saw.
 * Arrivals (open loop) and lengths come from one seeded generator, so two runs send the same
 * requests at the same offsets. Every loop is bounded by the duration and the request count.
 */
public final class LoadGenerator {
    private static final String[] WORDS = {
        "the", "little", "girl", "saw", "a", "big", "dog", "in", "park", "and", "she", "was", "happy", "he", "ran",
        "to", "tree", "with", "his", "friend", "they", "played", "ball", "sun", "day", "mom", "said", "one", "cat"
    };

    /** Client-side load at one moment: requests in flight, and the server's gauges when scraped. */
    public record Sample(
            double atMs, int inFlight, double serverRunning, double serverWaiting, double kvUtil, double cpu) {}

    private final LoadSpec spec;
    private final HttpClient http;
    private final List<RequestResult> results = Collections.synchronizedList(new ArrayList<>());
    private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger inFlight = new AtomicInteger();
    private long t0;

    public LoadGenerator(LoadSpec spec) {
        this.spec = spec;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    /** Runs the test; returns the results in start order. */
    public List<RequestResult> run() throws InterruptedException {
        t0 = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(spec.seed());
        long endNanos = t0 + (long) (spec.durationSeconds() * 1e9);
        Thread sampler = Thread.ofVirtual().start(this::sample);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            if (spec.rate() > 0) {
                double at = 0;
                for (int i = 0; i < spec.maxRequests(); i++) {
                    at += -Math.log(1 - rnd.nextDouble()) / spec.rate();
                    long when = t0 + (long) (at * 1e9);
                    if (when >= endNanos) {
                        break;
                    }
                    sleepUntil(when);
                    Planned p = plan(rnd);
                    pool.submit(() -> send(p));
                }
            } else {
                AtomicInteger left = new AtomicInteger(spec.maxRequests());
                for (int c = 0; c < spec.concurrency(); c++) {
                    SplittableRandom own = rnd.split();
                    pool.submit(() -> {
                        while (System.nanoTime() < endNanos && left.getAndDecrement() > 0) {
                            long retryAfter = send(plan(own));
                            // A rejected client waits as the server asked, as a real one would,
                            // rather than spinning on 429s.
                            sleepUntil(Math.min(endNanos, System.nanoTime() + retryAfter * 1_000_000_000L));
                        }
                        return null;
                    });
                }
            }
            pool.shutdown();
            pool.awaitTermination((long) spec.durationSeconds() + 600, TimeUnit.SECONDS);
        }
        sampler.interrupt();
        sampler.join();
        List<RequestResult> sorted = new ArrayList<>(results);
        sorted.sort((a, b) -> Double.compare(a.startMs(), b.startMs()));
        return sorted;
    }

    public List<Sample> samples() {
        List<Sample> s = new ArrayList<>(samples);
        s.sort((a, b) -> Double.compare(a.atMs(), b.atMs()));
        return s;
    }

    private record Planned(String priority, int words, int maxTokens, int disconnectAfter) {}

    private Planned plan(SplittableRandom rnd) {
        double u = rnd.nextDouble();
        String priority = null;
        for (var e : spec.mix().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .toList()) {
            priority = e.getKey();
            u -= e.getValue();
            if (u < 0) {
                break;
            }
        }
        int words = spec.promptLength().draw(rnd, spec.logUniform());
        int out = spec.outputLength().draw(rnd, spec.logUniform());
        int disconnect = rnd.nextDouble() < spec.disconnectFraction() ? 1 + rnd.nextInt(Math.max(1, out)) : -1;
        return new Planned(priority, words, out, disconnect);
    }

    /** Sends one request and records what it saw; returns the Retry-After seconds of a rejection, else 0. */
    private long send(Planned p) {
        StringBuilder prompt = new StringBuilder("once upon a time");
        for (int i = 4; i < p.words(); i++) {
            prompt.append(' ').append(WORDS[(i * 7 + p.words()) % WORDS.length]);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("prompt", prompt.toString());
        body.put("max_tokens", p.maxTokens());
        body.put("stream", true);
        body.put("priority", p.priority());
        body.put("temperature", 0.8);
        body.put("seed", (long) p.words() * 31 + p.maxTokens());
        if (spec.ignoreEos()) {
            body.put("ignore_eos", true);
        }
        HttpRequest req = HttpRequest.newBuilder(spec.target().resolve("/v1/completions"))
                .timeout(Duration.ofSeconds(600))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)))
                .build();
        double start = ms();
        inFlight.incrementAndGet();
        List<Double> tokenTimes = new ArrayList<>();
        String outcome = "error";
        String error = null;
        int status = 0;
        long retryAfter = 0;
        try {
            HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            status = resp.statusCode();
            try (InputStream in = resp.body()) {
                if (status == 429 || status == 503) {
                    outcome = "rejected";
                    retryAfter = retryAfterSeconds(resp);
                    in.readAllBytes();
                } else if (status != 200) {
                    error = firstLine(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } else {
                    StreamEnd end = readStream(in, tokenTimes, p.disconnectAfter());
                    outcome = end.outcome();
                    error = end.error();
                }
            }
        } catch (IOException e) {
            outcome = "error";
            error = e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inFlight.decrementAndGet();
        }
        double end = ms();
        double[] tbt = new double[Math.max(0, tokenTimes.size() - 1)];
        for (int i = 1; i < tokenTimes.size(); i++) {
            tbt[i - 1] = tokenTimes.get(i) - tokenTimes.get(i - 1);
        }
        double ttft = tokenTimes.isEmpty() ? Double.NaN : tokenTimes.getFirst() - start;
        results.add(new RequestResult(
                p.priority(),
                p.words(),
                p.maxTokens(),
                start,
                outcome,
                status,
                tokenTimes.size(),
                ttft,
                end - start,
                tbt,
                outcome.equals("error") ? (error != null ? error : "interrupted") : null));
        return retryAfter;
    }

    /** The Retry-After header in whole seconds (1 when absent or unreadable, so a client never spins). */
    private static long retryAfterSeconds(HttpResponse<?> resp) {
        try {
            return Math.max(
                    1,
                    Long.parseLong(
                            resp.headers().firstValue("Retry-After").orElse("1").trim()));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** How a stream ended: the outcome, and for {@code error} what the server or the connection said. */
    private record StreamEnd(String outcome, String error) {}

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Reads SSE events; a token event is a data line with a null finish reason. */
    private StreamEnd readStream(InputStream in, List<Double> tokenTimes, int disconnectAfter) throws IOException {
        byte[] one = new byte[1];
        var lineBytes = new java.io.ByteArrayOutputStream();
        while (in.read(one) != -1) {
            if (one[0] != '\n') {
                lineBytes.write(one[0]);
                continue;
            }
            String l = lineBytes.toString(StandardCharsets.UTF_8);
            lineBytes.reset();
            if (!l.startsWith("data: ")) {
                continue;
            }
            String data = l.substring(6);
            if (data.equals("[DONE]")) {
                return new StreamEnd("ok", null);
            }
            if (data.startsWith("{\"error\"")) {
                return new StreamEnd("error", data);
            }
            if (data.contains("\"finish_reason\":null")) {
                tokenTimes.add(ms());
                if (disconnectAfter > 0 && tokenTimes.size() >= disconnectAfter) {
                    return new StreamEnd("disconnected", null); // closing the stream drops the connection
                }
            }
        }
        return new StreamEnd("error", "the stream ended without [DONE]");
    }

    private void sample() {
        while (!Thread.currentThread().isInterrupted()) {
            Map<String, Double> g = scrape();
            samples.add(new Sample(
                    ms(),
                    inFlight.get(),
                    g.getOrDefault("fsc_running", Double.NaN),
                    g.getOrDefault("fsc_waiting", Double.NaN),
                    g.getOrDefault("fsc_kv_utilization", Double.NaN),
                    g.getOrDefault("fsc_cpu_utilization", Double.NaN)));
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The server's metrics, summed over labels; empty when it does not answer. */
    public Map<String, Double> scrape() {
        Map<String, Double> m = new LinkedHashMap<>();
        try {
            HttpResponse<Stream<String>> r = http.send(
                    HttpRequest.newBuilder(spec.target().resolve("/metrics"))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofLines());
            r.body().forEach(line -> {
                if (line.startsWith("#") || line.isBlank()) {
                    return;
                }
                int brace = line.indexOf('{');
                int space = line.lastIndexOf(' ');
                String name = brace > 0 && brace < space ? line.substring(0, brace) : line.substring(0, space);
                try {
                    m.merge(name, Double.parseDouble(line.substring(space + 1)), Double::sum);
                } catch (NumberFormatException ignored) {
                    // not a sample line
                }
            });
        } catch (IOException e) {
            return m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return m;
    }

    private double ms() {
        return (System.nanoTime() - t0) / 1e6;
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long d = nanos - System.nanoTime();
        if (d > 0) {
            TimeUnit.NANOSECONDS.sleep(d);
        }
    }
}
