package fsc.runtime.llm;

import fsc.runtime.RuntimeFailure;
import java.util.Locale;

/**
 * The {@code generate} command line, shared by the model jar ({@code java -jar m.jar generate ...})
 * and {@code fsc generate}.
 *
 * @param maxContext positions one sequence may hold at run time (0: what the model was compiled for)
 * @param kvMemoryBytes KV cache budget (0: exactly enough for {@code maxContext})
 * @param draft a draft model jar for speculative decoding, or null
 * @param draftTokens tokens the draft proposes per round
 * @param speculation when to speculate with the draft
 */
public record GenerateOptions(
        String prompt,
        int maxTokens,
        SamplingParams sampling,
        boolean json,
        int threads,
        int maxContext,
        long kvMemoryBytes,
        String draft,
        int draftTokens,
        SpeculativeGenerator.Mode speculation) {

    /** Draft tokens per round when {@code --draft-tokens} is not given. */
    public static final int DEFAULT_DRAFT_TOKENS = 4;

    static final String USAGE =
            """
            usage: java --add-modules jdk.incubator.vector -jar model.jar generate --prompt TEXT [options]
              --prompt TEXT        the text to continue (required); token ids ("1,2,3") for a
                                   model without a tokenizer (an ONNX export)
              --max-tokens N       tokens to generate (default 128)
              --temperature T      0 = greedy (default 0.8)
              --top-k K            keep the K most likely tokens, 0 = all (default 40)
              --top-p P            keep the smallest set with probability >= P (default 0.95)
              --seed S             sampling seed (default 7)
              --json               print one JSON object instead of streaming text
              --threads N          worker threads (default 1)
              --max-context N      positions one sequence may hold (default: compiled maximum)
              --kv-memory SIZE     KV cache budget, e.g. 512m or 2g (default: enough for --max-context)
              --draft JAR          speculative decoding with this draft decoder (same tokenizer)
              --draft-tokens K     tokens the draft proposes per round (default 4)
              --speculation MODE   auto: only while a cost model measured during generation predicts a
                                   speed-up (default); always: every round""";

    /** Parses {@code args}; null means {@code --help}. */
    public static GenerateOptions parse(String[] args) {
        String prompt = null;
        int maxTokens = 128;
        float temperature = 0.8f;
        int topK = 40;
        float topP = 0.95f;
        long seed = 7;
        boolean json = false;
        int threads = 1;
        int maxContext = 0;
        long kvMemory = 0;
        String draft = null;
        Integer draftTokens = null;
        SpeculativeGenerator.Mode speculation = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--json" -> json = true;
                case "--prompt" -> prompt = value(args, ++i, a);
                case "--max-tokens" -> maxTokens = intValue(args, ++i, a, 0);
                case "--temperature" -> temperature = floatValue(args, ++i, a);
                case "--top-k" -> topK = intValue(args, ++i, a, 0);
                case "--top-p" -> topP = floatValue(args, ++i, a);
                case "--seed" -> seed = longValue(args, ++i, a);
                case "--threads" -> threads = intValue(args, ++i, a, 1);
                case "--max-context" -> maxContext = intValue(args, ++i, a, 1);
                case "--kv-memory" -> kvMemory = bytes(value(args, ++i, a));
                case "--draft" -> draft = value(args, ++i, a);
                case "--draft-tokens" -> draftTokens = intValue(args, ++i, a, 1);
                case "--speculation" -> speculation = speculation(value(args, ++i, a));
                default -> throw new RuntimeFailure("unknown option '" + a + "'; try --help");
            }
        }
        if (prompt == null) {
            throw new RuntimeFailure("--prompt TEXT is required");
        }
        if (draft == null && (draftTokens != null || speculation != null)) {
            throw new RuntimeFailure(
                    (draftTokens != null ? "--draft-tokens" : "--speculation") + " applies only with --draft JAR");
        }
        return new GenerateOptions(
                prompt,
                maxTokens,
                new SamplingParams(temperature, topK, topP, seed),
                json,
                threads,
                maxContext,
                kvMemory,
                draft,
                draftTokens == null ? DEFAULT_DRAFT_TOKENS : draftTokens,
                speculation == null ? SpeculativeGenerator.Mode.AUTO : speculation);
    }

    /** {@code auto} or {@code always}. */
    public static SpeculativeGenerator.Mode speculation(String text) {
        return switch (text) {
            case "auto" -> SpeculativeGenerator.Mode.AUTO;
            case "always" -> SpeculativeGenerator.Mode.ALWAYS;
            default -> throw new RuntimeFailure("--speculation must be auto or always, got '" + text + "'");
        };
    }

    /** {@code 2g}, {@code 512m}, {@code 64k} or a byte count. */
    public static long bytes(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("b")) {
            t = t.substring(0, t.length() - 1);
        }
        if (!t.isEmpty()) {
            char u = t.charAt(t.length() - 1);
            unit = switch (u) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                case 'g' -> 1L << 30;
                case 't' -> 1L << 40;
                default -> 1;
            };
            if (unit != 1) {
                t = t.substring(0, t.length() - 1);
            }
        }
        try {
            long n = Long.parseLong(t);
            if (n <= 0 || n > Long.MAX_VALUE / unit) {
                throw new NumberFormatException();
            }
            return n * unit;
        } catch (NumberFormatException e) {
            throw new RuntimeFailure("'" + text + "' is not a memory size (e.g. 512m, 2g)");
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new RuntimeFailure(option + " needs a value");
        }
        return args[i];
    }

    private static int intValue(String[] args, int i, String option, int min) {
        long v = longValue(args, i, option);
        if (v < min || v > Integer.MAX_VALUE) {
            throw new RuntimeFailure(option + " must be an integer >= " + min + ", got " + args[i]);
        }
        return (int) v;
    }

    private static long longValue(String[] args, int i, String option) {
        String v = value(args, i, option);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new RuntimeFailure(option + " must be an integer, got '" + v + "'");
        }
    }

    private static float floatValue(String[] args, int i, String option) {
        String v = value(args, i, option);
        try {
            return Float.parseFloat(v);
        } catch (NumberFormatException e) {
            throw new RuntimeFailure(option + " must be a number, got '" + v + "'");
        }
    }
}
