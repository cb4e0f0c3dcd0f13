package fsc.tests;

import fsc.runtime.AllocationWindows;
import fsc.runtime.CompiledModel;
import fsc.runtime.ModelJar;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Steady-state allocation of a model jar's call ({@link AllocationWindows}: windows of 100 calls
 * after 200 warm-up calls each, until one allocates at most 4 KB on the calling thread). As a
 * program ({@code JAR NAME=FILE.npy ...}) it measures in a fresh JVM: which code shape C2 gives a
 * kernel depends on what ran before in that JVM, so a test that saw allocation checks whether a
 * second JVM sees it too (docs/PERFORMANCE-INT8.md, the open lead).
 */
public final class SteadyStateProbe {
    static final long LIMIT = 4096;
    private static final int WARM_CALLS = 200;

    private SteadyStateProbe() {}

    /**
     * Fails unless {@code model}'s steady state allocates at most {@link #LIMIT} bytes per 100 calls
     * in this JVM or, when this JVM's code shape allocates, in a fresh JVM running {@code jar} (the
     * inputs written under {@code dir}): it fails when both allocate, as a kernel that always boxes does.
     */
    static void assertSteady(String label, CompiledModel model, Path jar, Map<String, Tensor> in, Path dir)
            throws Exception {
        AllocationWindows.assertSteady(
                label, AllocationWindows.measure(() -> model.run(in), WARM_CALLS, LIMIT), LIMIT, () -> {
                    Files.createDirectories(dir);
                    List<String> args = new ArrayList<>(List.of(jar.toString()));
                    for (var e : in.entrySet()) {
                        Path f = dir.resolve(e.getKey() + ".npy");
                        Npy.write(f, e.getValue());
                        args.add(e.getKey() + "=" + f);
                    }
                    return AllocationWindows.inFreshJvm(SteadyStateProbe.class, args);
                });
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
            AllocationWindows.print(AllocationWindows.measure(() -> model.run(in), WARM_CALLS, LIMIT));
        }
    }
}
