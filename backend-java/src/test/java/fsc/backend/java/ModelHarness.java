package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.runtime.CompiledModel;
import fsc.runtime.ElemType;
import fsc.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** Compiles a graph to a jar, loads the generated model, and compares it with the reference interpreter. */
final class ModelHarness implements AutoCloseable {
    final Graph graph;
    final JavaBackendResult result;
    final CompiledModel model;
    /** The jar the model was compiled into (what {@link SteadyAllocation} runs in a fresh JVM). */
    final Path jar;

    private final URLClassLoader loader;

    private ModelHarness(Graph graph, JavaBackendResult result, CompiledModel model, Path jar, URLClassLoader loader) {
        this.graph = graph;
        this.result = result;
        this.model = model;
        this.jar = jar;
        this.loader = loader;
    }

    static ModelHarness compile(Graph g, Path dir, int threads) throws Exception {
        Path jar = dir.resolve(g.name() + ".jar");
        JavaBackendResult r = JavaBackend.compile(g, JavaBackendOptions.forModel(g.name()), jar);
        // Parent-first delegation: fsc.runtime comes from the test class path, so the cast below holds.
        URLClassLoader loader =
                new URLClassLoader(new URL[] {jar.toUri().toURL()}, ModelHarness.class.getClassLoader());
        Class<?> cls = loader.loadClass(r.modelClass());
        CompiledModel m = (CompiledModel) cls.getConstructor(int.class).newInstance(threads);
        return new ModelHarness(g, r, m, jar, loader);
    }

    Map<String, HostTensor> run(Map<String, HostTensor> inputs) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        inputs.forEach((k, v) -> in.put(k, toTensor(v)));
        Map<String, HostTensor> out = new TreeMap<>();
        model.run(in).forEach((k, v) -> out.put(k, toHost(v)));
        return out;
    }

    /** Runs both the model and the interpreter and asserts every output matches within {@code tol} relative. */
    void assertMatchesInterpreter(Map<String, HostTensor> inputs, double tol) {
        Map<String, HostTensor> expected = new Interpreter(graph).run(inputs);
        Map<String, HostTensor> actual = run(inputs);
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, e) -> {
            HostTensor a = actual.get(name);
            assertEquals(e.dtype(), a.dtype(), name);
            double scale = 1;
            for (int i = 0; i < e.size() && e.dtype() != DType.STRING; i++) {
                scale = Math.max(scale, Math.abs(e.getDouble(i)));
            }
            double diff = e.maxAbsDiff(a);
            assertTrue(diff <= tol * scale, () -> name + ": max abs diff " + diff + " (scale " + e + " vs " + a + ")");
        });
    }

    static Tensor toTensor(HostTensor h) {
        if (h.dtype() == DType.STRING) {
            return Tensor.ofStrings(h.shape(), h.toStringArray());
        }
        ByteBuffer b = h.data();
        MemorySegment seg =
                Arena.ofAuto().allocate(Math.max(1, b.remaining()), 64).asSlice(0, b.remaining());
        seg.copyFrom(MemorySegment.ofBuffer(b));
        return new Tensor(ElemType.valueOf(h.dtype().name()), h.shape(), seg);
    }

    static HostTensor toHost(Tensor t) {
        if (t.type() == ElemType.STRING) {
            return HostTensor.ofStrings(t.shape(), t.strings());
        }
        byte[] bytes = t.data().toArray(ValueLayout.JAVA_BYTE);
        return new HostTensor(DType.valueOf(t.type().name()), t.shape(), ByteBuffer.wrap(bytes));
    }

    @Override
    public void close() throws Exception {
        model.close();
        loader.close();
    }
}
