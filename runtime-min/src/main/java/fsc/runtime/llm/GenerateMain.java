package fsc.runtime.llm;

import fsc.runtime.CompiledModel;
import fsc.runtime.RuntimeFailure;
import java.io.PrintStream;
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
        try (CompiledModel model = factoryByThreads.apply(o.threads())) {
            LlmConfig config = LlmConfig.load(model.getClass().getClassLoader());
            Generation g = generate(model, config, o, out);
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
        int context = o.maxContext() == 0 ? config.maxContext() : o.maxContext();
        if (context > config.maxContext()) {
            throw new RuntimeFailure("--max-context " + context + " exceeds the " + config.maxContext()
                    + " positions the model was compiled for (recompile with --max-context)");
        }
        PagedLayout layout = config.layout();
        int needed = (context + layout.blockSize() - 1) / layout.blockSize();
        int blocks = o.kvMemoryBytes() == 0 ? needed : Math.min(needed, KvCache.blocksFor(o.kvMemoryBytes(), layout));
        try (KvCache cache = new KvCache(layout, blocks, 1, context)) {
            Generator gen = new Generator(new Decoder(model, config, cache), new TextCodec(config.tokenizer()));
            return gen.generate(o.prompt(), o.maxTokens(), o.sampling(), text -> {
                if (!o.json()) {
                    out.print(text);
                    out.flush();
                }
            });
        }
    }
}
