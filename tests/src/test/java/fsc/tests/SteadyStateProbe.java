package fsc.tests;

import fsc.runtime.CompiledModel;
import fsc.runtime.ModelJar;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Steady-state allocation of a model call: windows of 100 calls after 200 warm-up calls each, until
 * one allocates at most 4 KB on the calling thread or 40 windows have passed. As a program ({@code
 * JAR NAME=FILE.npy ...}) it measures in a fresh JVM and prints {@code windows: [...]}: which code
 * shape C2 gives a kernel depends on what ran before in that JVM, so a test that saw allocation
 * checks whether a second JVM sees it too (docs/PERFORMANCE-INT8.md, the open lead).
 */
public final class SteadyStateProbe {
    static final long LIMIT = 4096;

    private SteadyStateProbe() {}

    /** The windows measured; the last is at most {@link #LIMIT} unless every one allocated more. */
    static List<Long> windows(CompiledModel model, Map<String, Tensor> in) {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long allocated = Long.MAX_VALUE;
        List<Long> windows = new ArrayList<>();
        for (int round = 0; round < 40 && allocated > LIMIT; round++) {
            for (int i = 0; i < 200; i++) {
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
     * Fails unless {@code model}'s steady state allocates at most {@link #LIMIT} bytes per 100 calls
     * in this JVM or, when this JVM's code shape allocates, in a fresh JVM running {@code jar} (the
     * inputs written under {@code dir}): it fails when both allocate, as a kernel that always boxes does.
     */
    static void assertSteady(String label, CompiledModel model, Path jar, Map<String, Tensor> in, Path dir)
            throws java.io.IOException, InterruptedException {
        List<Long> windows = windows(model, in);
        System.out.println(label + ": steady state, bytes per 100 calls by window: " + windows);
        if (windows.getLast() <= LIMIT) {
            return;
        }
        System.out.println(label + ": this JVM's steady state allocates " + windows.getLast()
                + " bytes per 100 calls; checking a fresh JVM");
        java.nio.file.Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                SteadyStateProbe.class.getName(),
                jar.toString()));
        for (var e : in.entrySet()) {
            Path f = dir.resolve(e.getKey() + ".npy");
            Npy.write(f, e.getValue());
            cmd.add(e.getKey() + "=" + f);
        }
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("log.txt").toFile())
                .start();
        org.junit.jupiter.api.Assertions.assertTrue(
                p.waitFor(600, java.util.concurrent.TimeUnit.SECONDS), "the fresh JVM did not finish");
        String log = java.nio.file.Files.readString(dir.resolve("log.txt"));
        org.junit.jupiter.api.Assertions.assertEquals(0, p.exitValue(), log);
        String line = log.lines()
                .filter(l -> l.startsWith("windows: ["))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no windows in the fresh JVM's output: " + log));
        String[] fresh =
                line.substring("windows: [".length(), line.length() - 1).split(", ");
        long last = Long.parseLong(fresh[fresh.length - 1]);
        org.junit.jupiter.api.Assertions.assertTrue(
                last <= LIMIT,
                label + ": 100 steady-state calls allocated " + windows.getLast() + " bytes in this JVM (windows: "
                        + windows + ") and " + last + " in a fresh one (" + line + ")");
    }

    /** {@code t} copied off the heap, as a caller's inputs usually are. */
    static Tensor offHeap(Tensor t) {
        MemorySegment copy = Arena.ofAuto().allocate(t.data().byteSize(), 64);
        copy.copyFrom(t.data());
        return new Tensor(t.type(), t.shape(), copy);
    }

    public static void main(String[] args) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            in.put(kv[0], offHeap(Npy.read(Path.of(kv[1]))));
        }
        try (CompiledModel model = ModelJar.open(Path.of(args[0]), 1)) {
            System.out.println("windows: " + windows(model, in));
        }
    }
}
