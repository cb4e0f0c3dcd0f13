package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Steady-state allocation of a compiled model's calls: windows of 100 calls after 2,000 warm-up
 * calls each, until one allocates at most {@link #LIMIT} bytes on the calling thread, or 30 windows
 * have passed and 30 seconds (at most 90 windows): C2 compiles in the background, late on a busy
 * machine.
 *
 * <p>Which code C2 gives a Vector API kernel depends on what ran before it in the JVM: the JDK's
 * vector and memory-segment methods keep one type profile for all their callers, and once other
 * tests' species, masks and segment kinds have gone through them, C2 sometimes leaves a vector
 * operation to the API's allocating Java fallback ({@code ControlFlowTest} allocated a steady 480
 * bytes per call in one CI run after {@code TreeEnsembleTest}, and never alone). So when this JVM's
 * steady state allocates, the same measurement runs in a fresh JVM on the model's jar and the same
 * inputs, and the check fails only when both allocate, as a model whose code always boxes does.
 * (The {@code tests} module's {@code SteadyStateProbe} does the same for model jars there;
 * runtime-min's kernels use its {@code SteadyStateCheck}.)
 */
final class SteadyAllocation {
    /**
     * How long windows go on past the 30th, up to 90: a model whose region classes or first-run
     * twins C2 compiles late allocated 480 bytes a call for ~23,000 calls even in a JVM of its own.
     */
    static final long PATIENCE_NANOS = 30_000_000_000L;

    static final long LIMIT = 4096;

    private SteadyAllocation() {}

    /** The windows measured; the last is at most {@link #LIMIT} unless every one allocated more. */
    static List<Long> windows(CompiledModel model, Map<String, Tensor> in) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocated = Long.MAX_VALUE;
        List<Long> windows = new ArrayList<>();
        long start = System.nanoTime();
        for (int round = 0;
                allocated > LIMIT && (round < 30 || round < 90 && System.nanoTime() - start < PATIENCE_NANOS);
                round++) {
            for (int i = 0; i < 2000; i++) {
                model.run(in);
            }
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100; i++) {
                model.run(in);
            }
            allocated = mx.getCurrentThreadAllocatedBytes() - before;
            windows.add(allocated);
        }
        return windows;
    }

    /**
     * Fails unless {@code h}'s model allocates at most {@link #LIMIT} bytes per 100 steady calls on
     * {@code in} in this JVM or, when it does here, in a fresh JVM running the harness's jar with
     * {@code threads} threads (its inputs written under {@code dir}).
     */
    static void assertSteady(String label, ModelHarness h, Map<String, Tensor> in, int threads, Path dir)
            throws IOException, InterruptedException {
        List<Long> windows = windows(h.model, in);
        System.out.println(label + ": steady state, bytes per 100 calls by window: " + windows);
        if (windows.getLast() <= LIMIT) {
            return;
        }
        Path inputs = Files.createDirectories(dir.resolve("steady-inputs"));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                SteadyAllocation.class.getName(),
                h.jar.toString(),
                h.result.modelClass(),
                Integer.toString(threads)));
        for (var e : in.entrySet()) {
            Path f = inputs.resolve(cmd.size() + ".npy");
            Npy.write(f, e.getValue());
            cmd.add(e.getKey() + "=" + f);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the fresh JVM did not finish");
        assertEquals(0, p.exitValue(), log);
        String line = log.lines()
                .filter(l -> l.startsWith("windows: ["))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no windows in the fresh JVM's output: " + log));
        String[] fresh =
                line.substring("windows: [".length(), line.length() - 1).split(", ");
        long last = Long.parseLong(fresh[fresh.length - 1]);
        assertTrue(
                last <= LIMIT,
                label + ": 100 steady-state calls allocated " + windows.getLast() + " bytes in this JVM (windows: "
                        + windows + ") and " + last + " in a fresh one (" + line + ")");
        System.out.println(label + ": this JVM's code shape allocates; a fresh JVM's does not (" + line + ")");
    }

    /** {@code JAR MODEL_CLASS THREADS NAME=FILE.npy ...}: prints the windows of the model's calls. */
    public static void main(String[] args) throws Exception {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (int i = 3; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            in.put(kv[0], Npy.read(Path.of(kv[1])));
        }
        try (URLClassLoader loader = new URLClassLoader(
                        new URL[] {Path.of(args[0]).toUri().toURL()}, SteadyAllocation.class.getClassLoader());
                CompiledModel model = (CompiledModel)
                        loader.loadClass(args[1]).getConstructor(int.class).newInstance(Integer.parseInt(args[2]))) {
            System.out.println("windows: " + windows(model, in));
        }
    }
}
