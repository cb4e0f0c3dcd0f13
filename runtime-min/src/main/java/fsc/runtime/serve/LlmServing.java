package fsc.runtime.serve;

import fsc.runtime.CompiledModel;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.llm.Decoder;
import fsc.runtime.llm.KvCache;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.llm.PagedLayout;
import fsc.runtime.llm.SpeculativeGenerator;
import fsc.runtime.llm.TextCodec;
import java.io.IOException;
import java.net.InetSocketAddress;

/** Wires a compiled decoder into a running server: KV storage and pool, scheduler, engine thread, HTTP. */
public final class LlmServing implements AutoCloseable {
    private final KvCache storage;
    /** The draft model's cache with speculative decoding, else null. */
    private final KvCache draftStorage;

    private final ServeEngine engine;
    private final ServeServer server;

    private LlmServing(KvCache storage, KvCache draftStorage, ServeEngine engine, ServeServer server) {
        this.storage = storage;
        this.draftStorage = draftStorage;
        this.engine = engine;
        this.server = server;
    }

    /**
     * A draft decoder for speculative decoding: {@code draftTokens} per round, speculating as
     * {@code mode} says.
     */
    public record Draft(CompiledModel model, int draftTokens, SpeculativeGenerator.Mode mode) {}

    public static LlmServing start(CompiledModel model, LlmConfig config, ServeOptions o) throws IOException {
        return start(model, config, o, null);
    }

    /** As {@link #start(CompiledModel, LlmConfig, ServeOptions)}, with speculative decoding when {@code draft} is given. */
    public static LlmServing start(CompiledModel model, LlmConfig config, ServeOptions o, Draft draft)
            throws IOException {
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
        StepFunction step = new DecoderStep(new Decoder(model, config, storage));
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
        ServeServer server = ServeServer.completions(
                new InetSocketAddress(o.host(), o.port()),
                engine,
                TextModel.of(codec),
                ServeServer.Limits.defaults(context),
                config.name());
        return new LlmServing(storage, draftStorage, engine, server);
    }

    public int port() {
        return server.port();
    }

    public ServeEngine engine() {
        return engine;
    }

    /** Drains for up to {@code graceMillis}, then stops. */
    public void shutdown(long graceMillis) {
        server.shutdown(graceMillis);
        storage.close();
        if (draftStorage != null) {
            draftStorage.close();
        }
    }

    @Override
    public void close() {
        shutdown(0);
    }
}
