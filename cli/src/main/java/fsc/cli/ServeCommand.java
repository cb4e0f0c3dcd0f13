package fsc.cli;

import fsc.runtime.CompiledModel;
import fsc.runtime.ModelJar;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.llm.GenerateOptions;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.SpeculativeGenerator;
import fsc.runtime.serve.ApiKeys;
import fsc.runtime.serve.Batching;
import fsc.runtime.serve.Embedder;
import fsc.runtime.serve.LlmServing;
import fsc.runtime.serve.Metrics;
import fsc.runtime.serve.ModelLoader;
import fsc.runtime.serve.ModelRegistry;
import fsc.runtime.serve.ServeOptions;
import fsc.runtime.serve.ServeServer;
import fsc.runtime.serve.ServedModel;
import fsc.runtime.text.WordPieceTokenizer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fsc serve}: HTTP serving with continuous batching (decoders) or sentence embeddings (encoders). */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serve models over HTTP, OpenAI-compatible, until interrupted (Ctrl-C drains for --grace-ms).",
            "A decoder jar (from a .gguf) serves /v1/completions and /v1/chat/completions with continuous",
            "batching; an encoder jar (from an ONNX BERT-family model, with --tokenizer) serves /v1/embeddings.",
            "Each MODEL is served under its file's base name (stories.jar -> \"stories\") or ID=PATH; clients",
            "pick one with \"model\". All serve /v1/models, /metrics (Prometheus text), /health, and",
            "/admin/models (POST {\"id\",\"path\"} loads, DELETE /admin/models/ID unloads). One access-log line",
            "per request goes to stderr. Binds 127.0.0.1 unless --host says otherwise.",
            "",
            "Example:",
            "  fsc serve stories.jar --port 8080 --step-token-budget 256 --tbt-budget-ms 50",
            "  fsc serve chat=stories.jar minilm.jar --tokenizer tokenizer.json --api-keys keys.txt"
        })
final class ServeCommand implements Callable<Integer> {
    @Parameters(
            arity = "1..*",
            paramLabel = "MODEL",
            description = "[ID=]PATH: a model .jar, or a .gguf / .onnx model; ID defaults to the file's base name.")
    java.util.List<String> models;

    @Option(
            names = "--api-keys",
            paramLabel = "FILE",
            description = "Require API keys: lines of 'name key requests/s tokens/min interactive|batch [admin]'"
                    + " ('-' = no limit). Without it the server is open.")
    Path apiKeys;

    @Option(
            names = "--chat-template",
            paramLabel = "FILE",
            description = "A Jinja chat template for every decoder, instead of the model's own (or of the"
                    + " fallback transcript when it has none).")
    Path chatTemplate;

    @Option(names = "--no-access-log", description = "Do not print one line per request to stderr.")
    boolean noAccessLog;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (0 = any free). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(
            names = "--max-queue",
            defaultValue = "256",
            description = "Waiting requests per class (interactive, batch) before 429. Default: ${DEFAULT-VALUE}.")
    int maxQueue;

    @Option(
            names = "--kv-memory",
            paramLabel = "SIZE",
            description = "KV cache budget, e.g. 512m or 4g (default: every slot at full context).")
    String kvMemory;

    @Option(
            names = "--step-token-budget",
            defaultValue = "256",
            description = "Tokens per engine step. Default: ${DEFAULT-VALUE}.")
    int stepTokenBudget;

    @Option(
            names = "--tbt-budget-ms",
            defaultValue = "50",
            description = "Interactive time-between-tokens budget. Default: ${DEFAULT-VALUE}.")
    double tbtBudgetMs;

    @Option(
            names = "--ttft-budget-ms",
            defaultValue = "1000",
            description = "Interactive time-to-first-token budget. Default: ${DEFAULT-VALUE}.")
    double ttftBudgetMs;

    @Option(names = "--max-running", defaultValue = "0", description = "Sequences run at once (0 = compiled maximum).")
    int maxRunning;

    @Option(names = "--max-context", defaultValue = "0", description = "Positions per sequence (0 = compiled maximum).")
    int maxContext;

    @Option(
            names = "--batching",
            defaultValue = "continuous",
            description = "continuous; or a baseline: static (a new batch starts only when the previous one has"
                    + " ended), static-padded (static, and finished rows keep being computed as padding, as"
                    + " fixed-shape engines do). Default: ${DEFAULT-VALUE}.")
    String batching;

    @Option(names = "--static-batching", description = "Short for --batching static.")
    boolean staticBatching;

    @Option(
            names = "--no-admission-control",
            description = "Baseline: accept whatever the queue holds (no TTFT prediction).")
    boolean acceptAll;

    @Option(
            names = "--threads",
            defaultValue = "1",
            description = "Worker threads of the model. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--tokenizer", description = "tokenizer.json (WordPiece) for an encoder model.")
    Path tokenizer;

    @Option(
            names = "--grace-ms",
            defaultValue = "5000",
            description = "Drain time on shutdown. Default: ${DEFAULT-VALUE}.")
    long graceMs;

    @Option(
            names = "--draft",
            paramLabel = "DRAFT",
            description = {
                "Speculative decoding for the (one) decoder served: a smaller decoder (.jar or .gguf) with",
                "the same tokenizer proposes tokens, the model checks them in its batched step; greedy",
                "output is the model's own (docs/SPECULATIVE.md)."
            })
    Path draft;

    @Option(
            names = "--draft-tokens",
            paramLabel = "K",
            description = "Tokens the draft proposes per round (with --draft). Default: 4.")
    Integer draftTokens;

    @Option(
            names = "--speculation",
            paramLabel = "MODE",
            description = {
                "With --draft: 'auto' speculates only while a cost model measured on the running",
                "server predicts a speed-up (default); 'always' speculates every step."
            })
    String speculation;

    @Option(
            names = {"-q", "--quiet"},
            description = "No progress output while compiling.")
    boolean quiet;

    @Override
    public Integer call() throws IOException, InterruptedException {
        ApiKeys keys = apiKeys == null ? null : ApiKeys.load(apiKeys);
        String template = chatTemplate == null ? null : read(chatTemplate);
        ServeOptions o = options();
        if (draft != null && models.size() != 1) {
            throw new RuntimeFailure("--draft applies when one decoder is served, got " + models.size() + " models");
        }
        LlmServing.Draft speculative = draft();
        ModelRegistry registry = new ModelRegistry();
        ModelLoader loader =
                (id, path, tok) -> load(id, Path.of(path), tok == null ? null : Path.of(tok), o, template, null);
        try {
            for (String spec : models) {
                int eq = spec.indexOf('=');
                Path path = Path.of(eq > 0 ? spec.substring(eq + 1) : spec);
                String id = eq > 0 ? spec.substring(0, eq) : ModelIds.of(path);
                if (registry.contains(id)) {
                    throw new RuntimeFailure("two models are named '" + id + "': name one ID=PATH");
                }
                registry.add(load(id, path, tokenizer, o, template, speculative));
            }
        } catch (RuntimeException | IOException e) {
            registry.list().forEach(m -> m.shutdown(0));
            throw e;
        }
        ServeServer server = ServeServer.start(
                new InetSocketAddress(host, port),
                registry,
                new ServeServer.Options(
                        keys,
                        loader,
                        noAccessLog ? line -> {} : line -> System.err.println("fsc serve: " + line),
                        graceMs));
        System.err.println("fsc serve: listening on http://" + host + ":" + server.port() + " (models: "
                + String.join(
                        ", ", registry.list().stream().map(ServedModel::id).toList())
                + (keys == null ? "; no API keys" : "; API keys required") + ")");
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown(graceMs);
            done.countDown();
        }));
        done.await();
        return 0;
    }

    private ServeOptions options() {
        return new ServeOptions(
                host,
                port,
                maxQueue,
                kvMemory == null ? 0 : GenerateOptions.bytes(kvMemory),
                stepTokenBudget,
                tbtBudgetMs,
                ttftBudgetMs,
                maxRunning,
                maxContext,
                batching(),
                !acceptAll);
    }

    /** Compiles (through the cache) and opens one model, ready to serve as {@code id}. */
    private ServedModel load(
            String id, Path path, Path tokenizerJson, ServeOptions o, String template, LlmServing.Draft speculative)
            throws IOException {
        Path jar = FscHome.compileCache().jarFor(path, new Progress(System.err, quiet));
        CompiledModel compiled = ArtifactLoader.open(jar, threads);
        try {
            boolean decoder = compiled.getClass().getClassLoader().getResource(LlmConfig.ENTRY) != null;
            if (decoder) {
                LlmConfig config = LlmConfig.load(compiled.getClass().getClassLoader());
                ServedModel.Generator g = LlmServing.model(
                        id,
                        compiled,
                        config,
                        o,
                        template,
                        w -> System.err.println("fsc serve: warning: " + w),
                        speculative);
                return new ServedModel.Generator(
                        g.id(), g.engine(), g.text(), g.chat(), g.limits(), g.kvBlockSize(), g.createdSeconds(), () -> {
                            g.release().run();
                            compiled.close();
                            if (speculative != null) {
                                speculative.model().close();
                            }
                        });
            }
            if (speculative != null) {
                throw new RuntimeFailure("--draft applies to decoders; " + jar + " is an encoder");
            }
            if (tokenizerJson == null) {
                throw new RuntimeFailure(jar + " is an encoder: pass its WordPiece --tokenizer tokenizer.json");
            }
            Embedder embedder = new Embedder(compiled, WordPieceTokenizer.fromJson(tokenizerJson), 256);
            return new ServedModel.Encoder(
                    id,
                    embedder,
                    new Metrics(),
                    ServeServer.Limits.defaults(257),
                    System.currentTimeMillis() / 1000,
                    compiled::close);
        } catch (RuntimeException e) {
            compiled.close();
            throw e;
        }
    }

    /** The draft decoder the options name, or null; speculation options without --draft are refused. */
    private LlmServing.Draft draft() {
        if (draft == null) {
            if (draftTokens != null || speculation != null) {
                throw new RuntimeFailure(
                        (draftTokens != null ? "--draft-tokens" : "--speculation") + " applies only with --draft");
            }
            return null;
        }
        if (draftTokens != null && draftTokens < 1) {
            throw new RuntimeFailure("--draft-tokens must be >= 1, got " + draftTokens);
        }
        SpeculativeGenerator.Mode mode =
                speculation == null ? SpeculativeGenerator.Mode.AUTO : GenerateOptions.speculation(speculation);
        Path draftJar = FscHome.compileCache().jarFor(draft, new Progress(System.err, quiet));
        if (!ModelJar.isDecoder(draftJar)) {
            throw new RuntimeFailure("--draft " + draft + " is not a decoder compiled from GGUF");
        }
        return new LlmServing.Draft(
                ArtifactLoader.open(draftJar, threads),
                draftTokens == null ? GenerateOptions.DEFAULT_DRAFT_TOKENS : draftTokens,
                mode);
    }

    private static String read(Path file) {
        try {
            return java.nio.file.Files.readString(file);
        } catch (IOException e) {
            throw new RuntimeFailure("cannot read --chat-template " + file + ": " + e.getMessage());
        }
    }

    private Batching batching() {
        Batching b;
        try {
            b = Batching.parse(batching);
        } catch (IllegalArgumentException e) {
            throw new RuntimeFailure("--" + e.getMessage());
        }
        if (staticBatching && b != Batching.CONTINUOUS && b != Batching.STATIC) {
            throw new RuntimeFailure("--static-batching and --batching " + batching + " disagree");
        }
        return staticBatching ? Batching.STATIC : b;
    }
}
