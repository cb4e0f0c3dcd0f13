package fsc.runtime.llm;

import fsc.runtime.CompiledModel;
import fsc.runtime.ModelJar;
import fsc.runtime.RuntimeFailure;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.function.IntFunction;

/**
 * {@code generate}: loads the decoder, sizes the KV cache from {@code --max-context} and {@code
 * --kv-memory} (never more memory than asked), streams text as it is produced and ends with the
 * timings line, or prints one JSON object with {@code --json}.
 */
public final class GenerateMain {
    private GenerateMain() {}

    /** Runs the command line; returns the exit code (0, or 2 after a one-line error on {@code err}). */
    public static int run(
            String[] args, IntFunction<CompiledModel> factoryByThreads, PrintStream out, PrintStream err) {
        try {
            execute(args, factoryByThreads, out, err, "");
            return 0;
        } catch (RuntimeFailure e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
    }

    /**
     * The command line with errors thrown as {@link RuntimeFailure} rather than printed, so {@code
     * fsc generate} reports them in the CLI's one shape; warnings go to {@code err} as one line
     * each, after {@code prefix} (the program's name, or nothing).
     */
    public static void execute(
            String[] args,
            IntFunction<CompiledModel> factoryByThreads,
            PrintStream out,
            PrintStream err,
            String prefix) {
        GenerateOptions o = GenerateOptions.parse(args);
        if (o == null) {
            out.println(GenerateOptions.USAGE);
            return;
        }
        try (CompiledModel model = factoryByThreads.apply(o.threads());
                CompiledModel draft = o.draft() == null ? null : openDraft(o)) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            Generation g = draft == null ? generate(model, config, o, out) : speculate(model, config, draft, o, out);
            if (o.json()) {
                out.println(g.toJson());
            } else {
                out.println();
            }
            String cut = contextCut(g, o, config);
            if (cut != null) {
                err.println(prefix + "warning: " + cut);
            }
            if (!o.json()) {
                err.println(g.timings().line());
                if (g.speculation() != null) {
                    err.println(g.speculation().line(g.generatedIds().length));
                }
            }
        }
    }

    /**
     * Why generation stopped short of {@code --max-tokens} without an end-of-sequence token, or null:
     * the sequence filled the positions the cache holds (the context), which a user should hear
     * about rather than read a short answer as complete.
     */
    static String contextCut(Generation g, GenerateOptions o, LlmConfig config) {
        int n = g.generatedIds().length;
        boolean ended = n > 0 && g.generatedIds()[n - 1] == config.tokenizer().eosId();
        if (n >= o.maxTokens() || ended) {
            return null;
        }
        int context = o.maxContext() == 0 ? config.maxContext() : o.maxContext();
        return "stopped after " + n + " of --max-tokens " + o.maxTokens() + ": the prompt's "
                + g.promptIds().length + " tokens and the generated ones fill the " + context
                + "-position context (raise --max-context, or recompile with a larger --max-context)";
    }

    /** Generation with a cache sized by the options; streams to {@code out} unless {@code --json}. */
    public static Generation generate(CompiledModel model, LlmConfig config, GenerateOptions o, PrintStream out) {
        try (KvCache cache = cache(config, o)) {
            Generator gen = new Generator(new Decoder(model, config, cache), new TextCodec(config.tokenizer()));
            return gen.generate(o.prompt(), o.maxTokens(), o.sampling(), text -> print(o, out, text));
        }
    }

    /**
     * Speculative generation: {@code draft} proposes, {@code model} verifies. The draft's cache
     * covers the same context (its own compiled maximum, if smaller: decoding goes on plain past it).
     */
    static Generation speculate(
            CompiledModel model, LlmConfig config, CompiledModel draft, GenerateOptions o, PrintStream out) {
        LlmConfig draftConfig = LlmConfig.load(draft.getClass().getClassLoader());
        int context = context(config, o);
        int draftContext = Math.min(context, draftConfig.maxContext());
        PagedLayout dl = draftConfig.layout();
        try (KvCache cache = cache(config, o);
                KvCache draftCache =
                        new KvCache(dl, (draftContext + dl.blockSize() - 1) / dl.blockSize(), 1, draftContext)) {
            SpeculativeGenerator gen = new SpeculativeGenerator(
                    new Decoder(model, config, cache),
                    new Decoder(draft, draftConfig, draftCache),
                    new TextCodec(config.tokenizer()),
                    o.draftTokens(),
                    o.speculation());
            return gen.generate(o.prompt(), o.maxTokens(), o.sampling(), text -> print(o, out, text));
        }
    }

    private static CompiledModel openDraft(GenerateOptions o) {
        Path jar = Path.of(o.draft());
        if (!ModelJar.isDecoder(jar)) {
            throw new RuntimeFailure("--draft " + jar + " is not a decoder compiled from GGUF");
        }
        return ModelJar.open(jar, o.threads());
    }

    private static int context(LlmConfig config, GenerateOptions o) {
        int context = o.maxContext() == 0 ? config.maxContext() : o.maxContext();
        if (context > config.maxContext()) {
            throw new RuntimeFailure("--max-context " + context + " exceeds the " + config.maxContext()
                    + " positions the model was compiled for (recompile with --max-context)");
        }
        return context;
    }

    /** The single-sequence cache the options ask for: enough for the context, within {@code --kv-memory}. */
    private static KvCache cache(LlmConfig config, GenerateOptions o) {
        int context = context(config, o);
        PagedLayout layout = config.layout();
        int needed = (context + layout.blockSize() - 1) / layout.blockSize();
        int blocks = o.kvMemoryBytes() == 0 ? needed : Math.min(needed, KvCache.blocksFor(o.kvMemoryBytes(), layout));
        return new KvCache(layout, blocks, 1, context);
    }

    private static void print(GenerateOptions o, PrintStream out, String text) {
        if (!o.json()) {
            out.print(text);
            out.flush();
        }
    }
}
