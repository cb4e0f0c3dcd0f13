package fsc.runtime;

import fsc.runtime.json.Json;
import fsc.runtime.llm.GenerateMain;
import fsc.runtime.llm.LlmConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The training run of a packaged model's JDK AOT cache ({@code fsc package}; JEP 483/514/515): the
 * JVM started with {@code -XX:AOTCacheOutput} runs this class from the model jar, which makes the
 * calls a user's first call will make, so the cache holds the classes they load and link and the
 * method profiles the JIT would otherwise first have to gather.
 *
 * <p>Inputs are random and fit the jar's signature ({@code fsc/model.json}): for each binding in the
 * arguments ({@code SYMBOL=VALUE,...}) every symbolic dimension takes its value, and symbols not
 * named take 1 on an input's first axis and 16 elsewhere (clamped to their bounds); with no bindings
 * given, the calls run at 16 and again at 128 there, a short and a long request. Integer and
 * boolean inputs hold 0 or 1, valid for every index-like input (token ids, masks, segment ids,
 * class ids); floating inputs are uniform in [-1, 1). A decoder jar ({@link LlmConfig#ENTRY}) runs
 * {@code generate} on a short prompt instead.
 *
 * <p>Each one-thread call's latency is printed ({@code [1,16] call 0: 812.5 ms}), so the same run,
 * without {@code -XX:AOTCacheOutput}, measures first-call and steady-state latency in a fresh JVM
 * (docs/EDGE.md).
 *
 * <p>Usage (by {@code fsc package}, in the packaged runtime): {@code java <the launcher's options>
 * -XX:AOTCacheOutput=M.aot -cp M.jar fsc.runtime.AotTraining CALLS [SYMBOL=VALUE,...]...}
 */
public final class AotTraining {
    private static final String MODEL_JSON = "fsc/model.json";
    private static final long[] DEFAULT_INNER_DIMS = {16, 128};

    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: AotTraining CALLS [SYMBOL=VALUE,...]...");
            System.exit(2);
        }
        int calls = Integer.parseInt(args[0]);
        List<Map<String, Long>> bindings = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            bindings.add(parseBinding(args[i]));
        }
        ClassLoader loader = AotTraining.class.getClassLoader();
        Map<?, ?> modelJson = readModelJson(loader);
        Class<?> cls = Class.forName((String) modelJson.get("modelClass"), true, loader);
        if (loader.getResource(LlmConfig.ENTRY) != null) {
            trainDecoder(cls, calls);
        } else {
            trainTensorModel(cls, modelJson, calls, bindings);
        }
        System.out.println("trained on " + calls + " calls per shape");
        // fsc package reports it beside the folder's size (the launcher's own runs take the same memory).
        System.out.println("peak RSS " + fsc.runtime.perf.ProcessStats.peakRssBytes() + " bytes");
    }

    private static void trainTensorModel(Class<?> cls, Map<?, ?> modelJson, int calls, List<Map<String, Long>> bindings)
            throws ReflectiveOperationException {
        SplittableRandom random = new SplittableRandom(483);
        List<Map<String, Tensor>> shapes = new ArrayList<>();
        if (bindings.isEmpty()) {
            for (long inner : DEFAULT_INNER_DIMS) {
                shapes.add(randomInputs(modelJson, Map.of(), inner, random));
            }
        }
        for (Map<String, Long> binding : bindings) {
            shapes.add(randomInputs(modelJson, binding, DEFAULT_INNER_DIMS[0], random));
        }
        // One thread, as the launcher's default, and two so the worker pool's classes are in the cache too.
        for (int threads : new int[] {1, 2}) {
            try (CompiledModel model = newModel(cls, threads)) {
                for (Map<String, Tensor> inputs : shapes) {
                    for (int i = 0; i < (threads == 1 ? calls : 1); i++) {
                        long start = System.nanoTime();
                        model.run(inputs);
                        if (threads == 1) {
                            System.out.printf(
                                    java.util.Locale.ROOT,
                                    "%s call %d: %.3f ms%n",
                                    shapeOf(inputs),
                                    i,
                                    (System.nanoTime() - start) / 1e6);
                        }
                    }
                }
            }
        }
        trainCommandLine(cls, shapes.get(0));
    }

    /**
     * One call through the jar's command line ({@code bin/NAME --input NAME=FILE.npy ...}) on .npy
     * copies of {@code inputs}, so the cache also holds what only a real launch loads: the option
     * parser, the .npy reader and the output preview (about ten of fsc's classes, read and verified
     * from the jar otherwise). Models whose inputs have no .npy form (strings) skip it, saying so.
     */
    private static void trainCommandLine(Class<?> cls, Map<String, Tensor> inputs) {
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
        List<Path> files = new ArrayList<>();
        Path dir = null;
        try {
            dir = Files.createTempDirectory("fsc-aot-training");
            List<String> args = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                Path file = dir.resolve("input" + files.size() + ".npy"); // input names may hold '/'
                files.add(file);
                fsc.runtime.io.Npy.write(file, e.getValue());
                args.add("--input");
                args.add(e.getKey() + "=" + file);
            }
            ArtifactMain.execute(args.toArray(String[]::new), t -> newModel(cls, t), sink);
        } catch (IOException | RuntimeFailure e) {
            System.out.println("command line not trained: " + e.getMessage());
        } finally {
            try {
                for (Path f : files) {
                    Files.deleteIfExists(f);
                }
                if (dir != null) {
                    Files.deleteIfExists(dir);
                }
            } catch (IOException e) {
                System.out.println("could not remove the training inputs: " + e.getMessage());
            }
        }
    }

    private static String shapeOf(Map<String, Tensor> inputs) {
        return inputs.values().iterator().next().shapeString();
    }

    private static void trainDecoder(Class<?> cls, int calls) {
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
        String[] args = {"--prompt", "The edge device answers", "--max-tokens", "8", "--seed", "1"};
        for (int i = 0; i < Math.max(1, calls / 4); i++) {
            GenerateMain.execute(args, t -> newModel(cls, t), sink, sink, "");
        }
    }

    private static CompiledModel newModel(Class<?> cls, int threads) {
        try {
            return (CompiledModel) cls.getConstructor(int.class).newInstance(threads);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + cls.getName() + ": " + e, e);
        }
    }

    /** {@code batch=1,seq=128} as a map; an empty string is no binding. */
    static Map<String, Long> parseBinding(String spec) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new RuntimeFailure("training binding wants SYMBOL=VALUE, got '" + part + "'");
            }
            m.put(
                    part.substring(0, eq).trim(),
                    Long.parseLong(part.substring(eq + 1).trim()));
        }
        return m;
    }

    private static Map<?, ?> readModelJson(ClassLoader loader) throws IOException {
        try (InputStream in = loader.getResourceAsStream(MODEL_JSON)) {
            if (in == null) {
                throw new RuntimeFailure("not an fsc model jar: " + MODEL_JSON + " is missing");
            }
            return (Map<?, ?>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** Random tensors of the shapes {@code binding} gives the signature in {@code modelJson}. */
    static Map<String, Tensor> randomInputs(
            Map<?, ?> modelJson, Map<String, Long> binding, long innerDefault, SplittableRandom random) {
        Map<?, ?> bounds = (Map<?, ?>) modelJson.get("symbols");
        Map<String, Long> chosen = new LinkedHashMap<>(binding);
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (Object o : (List<?>) modelJson.get("inputs")) {
            Map<?, ?> spec = (Map<?, ?>) o;
            List<?> dims = (List<?>) spec.get("dims");
            long[] shape = new long[dims.size()];
            for (int a = 0; a < shape.length; a++) {
                Object d = dims.get(a);
                if (d instanceof Number n) {
                    shape[a] = n.longValue();
                } else {
                    String sym = (String) d;
                    long bound = bounds != null && bounds.get(sym) instanceof Number b ? b.longValue() : Long.MAX_VALUE;
                    long first = a == 0 ? 1 : innerDefault;
                    shape[a] = chosen.computeIfAbsent(sym, s -> Math.min(first, bound));
                }
            }
            ElemType type = ElemType.valueOf(((String) spec.get("dtype")).toUpperCase(java.util.Locale.ROOT));
            inputs.put((String) spec.get("name"), randomTensor(type, shape, random));
        }
        return inputs;
    }

    private static Tensor randomTensor(ElemType type, long[] shape, SplittableRandom random) {
        if (type == ElemType.STRING) {
            String[] s = new String[Math.toIntExact(Tensor.countOf(shape))];
            java.util.Arrays.fill(s, "a");
            return Tensor.ofStrings(shape, s);
        }
        Tensor t = Tensor.allocate(type, shape, Arena.ofAuto());
        MemorySegment d = t.data();
        long n = Tensor.countOf(shape);
        switch (type) {
            case F32 -> fill(n, i -> d.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, uniform(random)));
            case F64 -> fill(n, i -> d.setAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, i, uniform(random)));
            case F16 ->
                fill(n, i -> d.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(uniform(random))));
            case BF16 ->
                fill(
                        n,
                        i -> d.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short)
                                (Float.floatToRawIntBits(uniform(random)) >>> 16)));
            case I8, U8, BOOL -> fill(n, i -> d.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt(2)));
            case I16, U16 -> fill(n, i -> d.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) random.nextInt(2)));
            case I32, U32 -> fill(n, i -> d.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, random.nextInt(2)));
            case I64, U64 -> fill(n, i -> d.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextInt(2)));
            // The 8-, 4- and 2-bit formats: zero bytes are a valid value of each (0, or +0.0).
            case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, U4, I4, F4E2M1, U2, I2, STRING -> {}
        }
        return t;
    }

    private static float uniform(SplittableRandom random) {
        return (float) (random.nextDouble() * 2 - 1);
    }

    private static void fill(long n, java.util.function.LongConsumer set) {
        for (long i = 0; i < n; i++) {
            set.accept(i);
        }
    }
}
