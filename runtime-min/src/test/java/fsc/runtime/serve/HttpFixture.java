package fsc.runtime.serve;

import fsc.runtime.serve.chat.ChatTemplate;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.concurrent.atomic.AtomicInteger;

/** A server on 127.0.0.1 over the fake engine and a one-character-per-token text model. */
final class HttpFixture implements AutoCloseable {
    final KvPool kv;
    final Metrics metrics = new Metrics();
    final ServeEngine engine;
    final ServeServer server;
    /** Steps still to fail with an injected fault. */
    final AtomicInteger failSteps = new AtomicInteger();

    HttpFixture(SchedulerConfig config, int stepDelayMillis) throws IOException {
        this(config, stepDelayMillis, ServeServer.Options.defaults());
    }

    /** One fake model "fake" (chat template: ChatML) behind a server with {@code options}. */
    HttpFixture(SchedulerConfig config, int stepDelayMillis, ServeServer.Options options) throws IOException {
        this.kv = new KvPool(256, 4, config.maxRunning(), config.maxContext());
        this.engine = engine(config, kv, metrics, stepDelayMillis, failSteps);
        ModelRegistry models = new ModelRegistry();
        models.add(generator("fake", engine));
        this.server = ServeServer.start(new InetSocketAddress("127.0.0.1", 0), models, options);
    }

    static ServeEngine engine(
            SchedulerConfig config, KvPool kv, Metrics metrics, int stepDelayMillis, AtomicInteger failSteps) {
        Scheduler scheduler = new Scheduler(config, kv, new CostModel(1, 0.01), metrics, 512);
        FakeEngine fake = new FakeEngine(kv);
        StepFunction step = new StepFunction() {
            @Override
            public int vocab() {
                return FakeEngine.VOCAB;
            }

            @Override
            public float[] run(StepPlan plan, KvPool pool) {
                if (failSteps.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw new IllegalStateException("injected fault");
                }
                if (stepDelayMillis > 0) {
                    try {
                        Thread.sleep(stepDelayMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return fake.step(plan);
            }
        };
        ServeEngine engine = new ServeEngine(scheduler, step, metrics, System::nanoTime);
        engine.start();
        return engine;
    }

    /** A served fake decoder (ChatML template, limits of 4096 bytes / 64 prompt tokens / 100 tokens). */
    static ServedModel.Generator generator(String id, ServeEngine engine) {
        return new ServedModel.Generator(
                id,
                engine,
                new CharText(),
                ChatTemplate.of(CHATML, "<s>", "</s>", () -> LocalDate.of(2026, 1, 1)),
                new ServeServer.Limits(4096, 64, 100, 8),
                4,
                1,
                () -> {});
    }

    /** A fresh fake decoder with its own pool, for multi-model tests. */
    static ServedModel.Generator newGenerator(String id, SchedulerConfig config) {
        KvPool pool = new KvPool(256, 4, config.maxRunning(), config.maxContext());
        return generator(id, engine(config, pool, new Metrics(), 0, new AtomicInteger()));
    }

    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
            + "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** Token id = 1 + code point mod 63; a generated id prints as a letter. */
    static final class CharText implements TextModel {
        @Override
        public int[] encode(String text) {
            return text.codePoints().map(c -> 1 + c % (FakeEngine.VOCAB - 1)).toArray();
        }

        @Override
        public Detokenizer detokenizer() {
            return new Detokenizer() {
                @Override
                public String push(int id) {
                    return Character.toString('a' + id % 26);
                }

                @Override
                public String flush() {
                    return "";
                }
            };
        }

        @Override
        public int eosId() {
            return FakeEngine.EOS;
        }
    }

    record Reply(int status, String body, String retryAfter) {}

    HttpURLConnection open(String path) throws IOException {
        var c = (HttpURLConnection)
                URI.create("http://127.0.0.1:" + server.port() + path).toURL().openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(20_000);
        return c;
    }

    Reply get(String path) throws IOException {
        return reply(open(path));
    }

    Reply post(String path, String body) throws IOException {
        return send("POST", path, body, null);
    }

    /** {@code method} with an optional body and an optional {@code Authorization: Bearer key}. */
    Reply send(String method, String path, String body, String key) throws IOException {
        HttpURLConnection c = open(path);
        c.setRequestMethod(method);
        if (key != null) {
            c.setRequestProperty("Authorization", "Bearer " + key);
        }
        if (body == null) {
            return reply(c);
        }
        c.setDoOutput(true);
        try (OutputStream out = c.getOutputStream()) {
            out.write(body.getBytes(StandardCharsets.UTF_8));
        }
        return reply(c);
    }

    private static Reply reply(HttpURLConnection c) throws IOException {
        int status = c.getResponseCode();
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        if (in != null) {
            in.transferTo(buf);
            in.close();
        }
        return new Reply(status, buf.toString(StandardCharsets.UTF_8), c.getHeaderField("Retry-After"));
    }

    /**
     * Writes {@code request} as is on a fresh socket and reads until the server closes: the status
     * and body, or status -1 when the server closed without answering.
     */
    Reply raw(byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            try {
                s.getOutputStream().write(request);
                s.getOutputStream().flush();
            } catch (IOException refusedMidWrite) {
                // The server may answer and close before a large body is sent: read what it said.
            }
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            try {
                s.getInputStream().transferTo(buf);
            } catch (IOException reset) {
                // A reset after the answer still leaves the answer in buf.
            }
            String text = buf.toString(StandardCharsets.UTF_8);
            if (!text.startsWith("HTTP/1.1 ")) {
                return new Reply(-1, text, null);
            }
            int status = Integer.parseInt(text.substring(9, 12));
            int split = text.indexOf("\r\n\r\n");
            return new Reply(status, split < 0 ? "" : text.substring(split + 4), null);
        }
    }

    static byte[] post(String path, byte[] body, String... headers) {
        StringBuilder h = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        for (String line : headers) {
            h.append(line).append("\r\n");
        }
        h.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        byte[] head = h.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    @Override
    public void close() {
        server.close();
    }
}
