package fsc.backend.java;

import fsc.runtime.AllocationWindows;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled model's steady state allocates at most {@link #LIMIT} bytes per 100 calls: {@link
 * AllocationWindows} in this JVM and, when this JVM's code shape allocates, in a fresh JVM running
 * the harness's jar on the same inputs ({@code ControlFlowTest} allocated 480 bytes a call for all
 * its windows in one CI run after {@code TreeEnsembleTest}, never alone; in a JVM of its own it
 * does for ~23,000 calls before C2 settles).
 */
final class SteadyAllocation {
    static final long LIMIT = 4096;
    private static final int WARM_CALLS = 2000;

    private SteadyAllocation() {}

    /** Fails unless {@code h}'s model, with {@code threads} threads, allocates at most {@link #LIMIT} on {@code in} (inputs written under {@code dir}). */
    static void assertSteady(String label, ModelHarness h, Map<String, Tensor> in, int threads, Path dir)
            throws Exception {
        AllocationWindows.assertSteady(
                label, AllocationWindows.measure(() -> h.model.run(in), WARM_CALLS, LIMIT), LIMIT, () -> {
                    Path inputs = Files.createDirectories(dir.resolve("steady-inputs"));
                    List<String> args = new ArrayList<>(
                            List.of(h.jar.toString(), h.result.modelClass(), Integer.toString(threads)));
                    for (var e : in.entrySet()) {
                        Path f = inputs.resolve(args.size() + ".npy");
                        Npy.write(f, e.getValue());
                        args.add(e.getKey() + "=" + f);
                    }
                    return AllocationWindows.inFreshJvm(SteadyAllocation.class, args);
                });
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
            AllocationWindows.print(AllocationWindows.measure(() -> model.run(in), WARM_CALLS, LIMIT));
        }
    }
}
