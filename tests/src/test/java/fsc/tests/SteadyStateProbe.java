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
