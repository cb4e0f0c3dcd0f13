package fsc.cli;

import fsc.runtime.ModelJar;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.llm.GenerateMain;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fsc generate}: token generation with a decoder jar compiled from GGUF (or a .gguf, compiled first). */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = {
            "Generate text with a decoder compiled from GGUF.",
            "MODEL is a jar from 'fsc compile model.gguf', or a .gguf file (compiled into a cache first).",
            "Streams text, then prints prompt tokens, TTFT, prefill and decode",
            "tok/s and KV blocks used; --json prints one object instead.",
            "",
            "Example:",
            "  fsc generate stories.jar --prompt \"Once upon a time\" --max-tokens 64 --temperature 0"
        })
final class GenerateCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A decoder .jar, or a .gguf model.")
    Path model;

    @Option(
            names = "--prompt",
            required = true,
            description = "The text to continue; token ids (\"1,2,3\") for a model without a tokenizer (an ONNX"
                    + " export compiled with --decoder).")
    String prompt;

    @Option(
            names = "--max-tokens",
            defaultValue = "128",
            description = "Tokens to generate. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 = greedy. Default: ${DEFAULT-VALUE}.")
    float temperature;

    @Option(
            names = "--top-k",
            defaultValue = "40",
            description = "Keep the K most likely tokens (0 = all). Default: ${DEFAULT-VALUE}.")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "Nucleus mass. Default: ${DEFAULT-VALUE}.")
    float topP;

    @Option(names = "--seed", defaultValue = "7", description = "Sampling seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(
            names = "--json",
            description = "Print one JSON object: prompt_token_ids, generated_token_ids, text, timings.")
    boolean json;

    @Option(names = "--threads", defaultValue = "1", description = "Worker threads. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(
            names = "--max-context",
            paramLabel = "N",
            description = "Positions the sequence may hold (default: compiled maximum).")
    Integer maxContext;

    @Option(
            names = "--kv-memory",
            paramLabel = "SIZE",
            description = "KV cache budget, e.g. 512m or 2g (default: enough for --max-context).")
    String kvMemory;

    @Option(
            names = "--draft",
            paramLabel = "DRAFT",
            description = {
                "Speculative decoding: a smaller decoder (.jar or .gguf) with the same tokenizer",
                "proposes tokens and the model checks them in one step; greedy output is the model's own."
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
                "With --draft: 'auto' speculates only while a cost model measured during generation",
                "predicts a speed-up (default); 'always' speculates every round."
            })
    String speculation;

    @Option(
            names = {"-q", "--quiet"},
            description = "No progress output while compiling.")
    boolean quiet;

    @Override
    public Integer call() {
        Path jar = FscHome.compileCache().jarFor(model, new Progress(System.err, quiet));
        List<String> args = new ArrayList<>(List.of(
                "--prompt",
                prompt,
                "--max-tokens",
                Integer.toString(maxTokens),
                "--temperature",
                Float.toString(temperature),
                "--top-k",
                Integer.toString(topK),
                "--top-p",
                Float.toString(topP),
                "--seed",
                Long.toString(seed),
                "--threads",
                Integer.toString(threads)));
        if (json) {
            args.add("--json");
        }
        if (maxContext != null) {
            args.add("--max-context");
            args.add(maxContext.toString());
        }
        if (kvMemory != null) {
            args.add("--kv-memory");
            args.add(kvMemory);
        }
        if (draft != null) {
            args.add("--draft");
            args.add(FscHome.compileCache()
                    .jarFor(draft, new Progress(System.err, quiet))
                    .toString());
        }
        if (draftTokens != null) {
            args.add("--draft-tokens");
            args.add(draftTokens.toString());
        }
        if (speculation != null) {
            args.add("--speculation");
            args.add(speculation);
        }
        if (!ModelJar.isDecoder(jar)) {
            throw new RuntimeFailure(model + " is not a decoder (it was compiled from ONNX): use 'fsc run " + model
                    + " --input NAME=FILE ...'");
        }
        GenerateMain.execute(args.toArray(String[]::new), t -> ModelJar.open(jar, t), System.out, System.err, "fsc: ");
        return 0;
    }
}
