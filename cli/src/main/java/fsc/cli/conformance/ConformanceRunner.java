package fsc.cli.conformance;

import fsc.backend.java.InMemoryModels;
import fsc.backend.java.JavacFailure;
import fsc.backend.java.MemoryModelLoader;
import fsc.frontend.onnx.OnnxModelInfo;
import fsc.ir.FscException;
import fsc.runtime.CompiledModel;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs ONNX node tests through the whole compiler and compares with the expected outputs.
 *
 * <p>Per batch of tests: each test is prepared on its own (read, import with shape inputs bound,
 * passes, support check, Java source) so every failure lands on its test; the batch's sources then
 * go through one javac call, because starting javac costs far more than a small model; the classes
 * are defined by a memory class loader and each model runs once, under a time limit, on its inputs.
 * A batch whose javac fails is split in halves until the broken model is alone.
 */
public final class ConformanceRunner {
    /** Tests whose expected outputs come from a random generator; they cannot match and are skipped. */
    static final Pattern RANDOM = Pattern.compile("^test_(bernoulli|training_dropout)");

    /**
     * @param batchSize models per javac call
     * @param timeout how long one model may run before it counts as failed
     * @param scratch where model weights are written for the run (a fresh temporary folder per batch)
     */
    public record Options(int batchSize, Duration timeout, Path scratch) {
        public static Options defaults() {
            return new Options(64, Duration.ofSeconds(30), Path.of(System.getProperty("java.io.tmpdir")));
        }
    }

    private final Options options;
    private final TestIndex index;
    private final Consumer<TestResult> listener;
    private ExecutorService worker = newWorker();
    private int packageCounter;

    /** @param listener called with each result as soon as it is known, in test order */
    public ConformanceRunner(Options options, TestIndex index, Consumer<TestResult> listener) {
        this.options = options;
        this.index = index;
        this.listener = listener;
    }

    /** Runs {@code tests} and returns every result, sorted by test name. */
    public ConformanceSummary run(List<NodeTestCase> tests) {
        List<TestResult> all = new ArrayList<>();
        try {
            for (int from = 0; from < tests.size(); from += options.batchSize()) {
                all.addAll(runBatch(tests.subList(from, Math.min(tests.size(), from + options.batchSize()))));
            }
        } finally {
            worker.shutdownNow();
        }
        all.sort(Comparator.comparing(TestResult::name));
        return new ConformanceSummary(all);
    }

    private List<TestResult> runBatch(List<NodeTestCase> batch) {
        Outcome[] outcomes = new Outcome[batch.size()];
        long[] millis = new long[batch.size()];
        List<PreparedTest> ready = new ArrayList<>();
        Map<PreparedTest, Integer> slot = new IdentityHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            NodeTestCase t = batch.get(i);
            long t0 = System.nanoTime();
            if (RANDOM.matcher(t.name()).find()) {
                outcomes[i] = new Outcome.Skipped("expected outputs come from a random generator");
            } else {
                switch (TestPreparation.prepare(t, "fsc.conformance.t" + (packageCounter++))) {
                    case TestPreparation.Ended e -> outcomes[i] = e.outcome();
                    case TestPreparation.Ready r -> {
                        ready.add(r.test());
                        slot.put(r.test(), i);
                    }
                }
            }
            millis[i] = (System.nanoTime() - t0) / 1_000_000;
        }

        Map<PreparedTest, InMemoryModels.Model> compiled = new IdentityHashMap<>();
        compileSplitting(ready, compiled, outcomes, slot);
        if (!compiled.isEmpty()) {
            runCompiled(ready, compiled, outcomes, millis, slot);
        }

        List<TestResult> results = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            NodeTestCase t = batch.get(i);
            TestIndex.Row row = index.rows().get(t.name());
            String op = row != null ? row.primaryOp() : modelOp(t);
            TestResult r = new TestResult(t.name(), op, row != null ? row.tier() : "?", outcomes[i], millis[i]);
            listener.accept(r);
            results.add(r);
        }
        return results;
    }

    /** One javac call for {@code part}; on failure, halves until the failing model is found alone. */
    private void compileSplitting(
            List<PreparedTest> part,
            Map<PreparedTest, InMemoryModels.Model> compiled,
            Outcome[] outcomes,
            Map<PreparedTest, Integer> slot) {
        if (part.isEmpty()) {
            return;
        }
        try {
            List<InMemoryModels.Model> models = InMemoryModels.compile(
                    part.stream().map(PreparedTest::generated).toList());
            for (int i = 0; i < part.size(); i++) {
                compiled.put(part.get(i), models.get(i));
            }
        } catch (JavacFailure | FscException e) {
            if (part.size() == 1) {
                outcomes[slot.get(part.getFirst())] = new Outcome.CompileError("javac: " + firstLines(e.getMessage()));
                return;
            }
            int mid = part.size() / 2;
            compileSplitting(part.subList(0, mid), compiled, outcomes, slot);
            compileSplitting(part.subList(mid, part.size()), compiled, outcomes, slot);
        }
    }

    private void runCompiled(
            List<PreparedTest> ready,
            Map<PreparedTest, InMemoryModels.Model> compiled,
            Outcome[] outcomes,
            long[] millis,
            Map<PreparedTest, Integer> slot) {
        Path scratch;
        try {
            Files.createDirectories(options.scratch());
            scratch = Files.createTempDirectory(options.scratch(), "fsc-conformance");
        } catch (IOException e) {
            throw new FscException("cannot create a scratch folder under " + options.scratch() + ": " + e.getMessage());
        }
        try {
            List<PreparedTest> runnable =
                    ready.stream().filter(compiled::containsKey).toList();
            MemoryModelLoader loader = new MemoryModelLoader(
                    "fsc-conformance",
                    runnable.stream().map(compiled::get).toList(),
                    scratch,
                    ConformanceRunner.class.getClassLoader());
            for (PreparedTest p : runnable) {
                int i = slot.get(p);
                long t0 = System.nanoTime();
                outcomes[i] = runWithTimeout(loader, compiled.get(p).modelClass(), p);
                millis[i] += (System.nanoTime() - t0) / 1_000_000;
            }
        } finally {
            deleteTree(scratch);
        }
    }

    private Outcome runWithTimeout(ClassLoader loader, String modelClass, PreparedTest p) {
        Future<Outcome> f = worker.submit(() -> runOne(loader, modelClass, p));
        try {
            return f.get(options.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // A model stuck in a loop cannot be stopped safely; abandon its (daemon) thread.
            f.cancel(true);
            worker.shutdownNow();
            worker = newWorker();
            return new Outcome.Fail("timed out after " + options.timeout().toSeconds() + " s", Double.NaN);
        } catch (ExecutionException e) {
            return new Outcome.Fail("run: " + TestPreparation.describe(e.getCause()), Double.NaN);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(
                    "interrupted while running " + p.test().name(), e);
        }
    }

    private static Outcome runOne(ClassLoader loader, String modelClass, PreparedTest p) {
        CompiledModel model;
        try {
            Class<?> cls = Class.forName(modelClass, true, loader);
            model = (CompiledModel) cls.getConstructor(int.class).newInstance(1);
        } catch (InvocationTargetException e) {
            return new Outcome.Fail("model construction: " + TestPreparation.describe(e.getCause()), Double.NaN);
        } catch (ReflectiveOperationException | LinkageError e) {
            return new Outcome.CompileError("loading the generated class: " + TestPreparation.describe(e));
        }
        try (model) {
            Map<String, Object> out = model.runValues(p.feeds());
            List<TensorValues> actual = TestValues.flattenAll(List.copyOf(out.values()));
            return TensorComparison.compare(p.expected(), actual);
        } catch (RuntimeException | StackOverflowError e) {
            return new Outcome.Fail("run: " + TestPreparation.describe(e), Double.NaN);
        }
    }

    private static String modelOp(NodeTestCase t) {
        try {
            var ops = OnnxModelInfo.read(t.model()).ops();
            return ops.isEmpty() ? "?" : ops.getFirst().op();
        } catch (FscException e) {
            return "?";
        }
    }

    private static String firstLines(String message) {
        String[] lines = message.split("\n");
        String s = lines.length > 1 ? lines[0] + " " + lines[1] : lines[0];
        return s.length() > 400 ? s.substring(0, 400) + "..." : s;
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fsc-conformance-run");
            t.setDaemon(true);
            return t;
        });
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // Leftover scratch files only cost disk space in the temporary folder.
        }
    }
}
