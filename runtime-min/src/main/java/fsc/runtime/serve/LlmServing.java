package fsc.runtime.serve;

import fsc.runtime.CompiledModel;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.PagedLayout;
import fsc.runtime.llm.SpeculativeGenerator;
import fsc.runtime.llm.TextCodec;
import fsc.runtime.llm.TokenizerSpec;
import fsc.runtime.serve.chat.ChatTemplate;
import fsc.runtime.serve.chat.TemplateException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.LocalDate;
import java.util.function.Consumer;

/** Wires a compiled decoder into a served model (KV storage and pool, scheduler, engine thread), and a server over it. */
public final class LlmServing implements AutoCloseable {
    private final ServedModel.Generator model;
    private final ServeServer server;

    private LlmServing(ServedModel.Generator model, ServeServer server) {
        this.model = model;
        this.server = server;
    }

    /**
     * A decoder ready to serve under {@code id}, its engine started. Its chat template is {@code
     * chatTemplate} when given, else the model's own ({@code tokenizer.chat_template}), else {@link
     * ChatTemplate#FALLBACK}; a model template outside the supported Jinja subset is reported through
     * {@code warn} and replaced by the fallback, so completions still serve.
     */
    public static ServedModel.Generator model(
            String id,
            CompiledModel compiled,
            LlmConfig config,
            ServeOptions o,
            String chatTemplate,
            Consumer<String> warn) {
        return model(id, compiled, config, o, chatTemplate, warn, null);
    }

    /**
     * A draft decoder for speculative decoding: {@code draftTokens} per round, speculating as
     * {@code mode} says (docs/SPECULATIVE.md).
     */
    public record Draft(CompiledModel model, int draftTokens, SpeculativeGenerator.Mode mode) {}

    /** As {@link #model(String, CompiledModel, LlmConfig, ServeOptions, String, Consumer)}, with speculative decoding when {@code draft} is given. */
    public static ServedModel.Generator model(
            String id,
            CompiledModel compiled,
            LlmConfig config,
            ServeOptions o,
            String chatTemplate,
            Consumer<String> warn,
            Draft draft) {
        int context = o.maxContext() == 0 ? config.maxContext() : o.maxContext();
        if (context > config.maxContext()) {
            throw new RuntimeFailure("--max-context " + context + " exceeds the " + config.maxContext()
                    + " positions the model was compiled for");
        }
        int slots = o.maxRunning() == 0 ? config.maxSequences() : o.maxRunning();
        if (slots > config.maxSequences()) {
            throw new RuntimeFailure("--max-running " + slots + " exceeds the " + config.maxSequences()
                    + " sequences the model was compiled for (recompile with --max-sequences)");
        }
        ChatTemplate chat = chatTemplate(config.tokenizer(), chatTemplate, id, warn);
        PagedLayout layout = config.layout();
        int perSequence = (context + layout.blockSize() - 1) / layout.blockSize();
        int blocks = o.kvMemoryBytes() == 0
                ? perSequence * slots
                : Math.min(perSequence * slots, KvCache.blocksFor(o.kvMemoryBytes(), layout));
        KvCache storage = new KvCache(layout, blocks, slots, context);
        KvPool pool = new KvPool(blocks, layout.blockSize(), slots, context);
        SchedulerConfig sc = SchedulerConfig.defaults(slots, context, o.stepTokenBudget())
                .withQueue(o.maxQueue())
                .withTbt(Priority.INTERACTIVE, o.tbtBudgetMs())
                .withTtft(Priority.INTERACTIVE, o.ttftBudgetMs())
                .withAdmissionControl(o.admissionControl())
                .withBatching(o.batching());
        Metrics metrics = new Metrics();
        // Prior: 2 ms a step plus 0.2 ms a token, replaced by measurements within a few dozen steps.
        Scheduler scheduler = new Scheduler(sc, pool, new CostModel(2, 0.2), metrics, config.maxBatchTokens());
        TextCodec codec = new TextCodec(config.tokenizer());
        scheduler.setEos(codec.eosId());
        StepFunction step = new DecoderStep(new Decoder(compiled, config, storage));
        KvCache draftStorage = null;
        if (draft != null) {
            if (o.batching() == Batching.STATIC_PADDED) {
                throw new RuntimeFailure("--draft needs continuous or static batching, not static-padded");
            }
            LlmConfig dc = LlmConfig.load(draft.model().getClass().getClassLoader());
            if (dc.maxSequences() < slots || dc.maxContext() < context) {
                throw new RuntimeFailure("the draft model was compiled for " + dc.maxSequences() + " sequences of "
                        + dc.maxContext() + " positions; the server runs " + slots + " of " + context
                        + " (recompile the draft with --max-sequences/--max-context)");
            }
            // Same blocks and table as the target's: the pool assigns both caches' blocks.
            draftStorage = new KvCache(dc.layout(), blocks, slots, context);
            step = new SpeculativeStep(
                    (DecoderStep) step,
                    new DecoderStep(new Decoder(draft.model(), dc, draftStorage)),
                    draft.draftTokens(),
                    draft.mode(),
                    metrics);
            scheduler.enableSpeculation(draft.draftTokens());
        }
        ServeEngine engine = new ServeEngine(scheduler, step, metrics, System::nanoTime);
        engine.start();
        KvCache draftCache = draftStorage;
        return new ServedModel.Generator(
                id,
                engine,
                TextModel.of(codec),
                chat,
                ServeServer.Limits.defaults(context),
                layout.blockSize(),
                System.currentTimeMillis() / 1000,
                () -> {
                    storage.close();
                    if (draftCache != null) {
                        draftCache.close(); // the draft model is the caller's to close, as the target is
                    }
                });
    }

    private static ChatTemplate chatTemplate(TokenizerSpec t, String override, String id, Consumer<String> warn) {
        String bos = t.bosId() >= 0 ? t.tokens().get(t.bosId()) : "";
        String eos = t.eosId() >= 0 ? t.tokens().get(t.eosId()) : "";
        if (override != null) {
            try {
                return ChatTemplate.of(override, bos, eos, LocalDate::now);
            } catch (TemplateException e) {
                throw new RuntimeFailure("--chat-template: " + e.getMessage());
            }
        }
        try {
            return ChatTemplate.of(t.chatTemplate(), bos, eos, LocalDate::now);
        } catch (TemplateException e) {
            warn.accept("model '" + id + "': its chat template is outside the supported subset (" + e.getMessage()
                    + "); /v1/chat/completions uses the fallback transcript (--chat-template FILE overrides)");
            return ChatTemplate.of(null, bos, eos, LocalDate::now);
        }
    }

    /** One decoder behind a server with default options, named by the model's GGUF name. */
    public static LlmServing start(CompiledModel model, LlmConfig config, ServeOptions o) throws IOException {
        return start(model, config, o, config.name(), ServeServer.Options.defaults());
    }

    /** One decoder with a draft for speculative decoding behind a server with default options. */
    public static LlmServing start(CompiledModel model, LlmConfig config, ServeOptions o, Draft draft)
            throws IOException {
        return start(model, config, o, config.name(), ServeServer.Options.defaults(), draft);
    }

    /** One decoder behind a server, served as {@code id}. */
    public static LlmServing start(
            CompiledModel compiled, LlmConfig config, ServeOptions o, String id, ServeServer.Options options)
            throws IOException {
        return start(compiled, config, o, id, options, null);
    }

    /** One decoder (with an optional draft) behind a server, served as {@code id}. */
    public static LlmServing start(
            CompiledModel compiled,
            LlmConfig config,
            ServeOptions o,
            String id,
            ServeServer.Options options,
            Draft draft)
            throws IOException {
        ServedModel.Generator m = model(id, compiled, config, o, null, line -> {}, draft);
        ModelRegistry r = new ModelRegistry();
        r.add(m);
        try {
            return new LlmServing(m, ServeServer.start(new InetSocketAddress(o.host(), o.port()), r, options));
        } catch (IOException | RuntimeException e) {
            m.shutdown(0);
            throw e;
        }
    }

    public int port() {
        return server.port();
    }

    public ServeEngine engine() {
        return model.engine();
    }

    /** Drains for up to {@code graceMillis}, then stops. */
    public void shutdown(long graceMillis) {
        server.shutdown(graceMillis);
    }

    @Override
    public void close() {
        shutdown(0);
    }
}
