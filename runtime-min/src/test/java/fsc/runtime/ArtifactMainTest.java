package fsc.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.io.Npy;
import fsc.runtime.io.OnnxTensorFile;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactMainTest {
    @TempDir
    Path dir;

    /** y = 2x for f32[N<=16] and the thread count as an i64 scalar. */
    static final class Doubler implements CompiledModel {
        static final Signature SIG = new Signature(
                List.of(TensorSpec.of("x", ElemType.F32, DimSpec.symbol("N", 16))),
                List.of(
                        TensorSpec.of("y/out", ElemType.F32, DimSpec.symbol("N", 16)),
                        TensorSpec.of("threads", ElemType.I64)));
        final int threads;
        boolean closed;

        Doubler(int threads) {
            this.threads = threads;
        }

        @Override
        public List<String> inputNames() {
            return SIG.inputNames();
        }

        @Override
        public List<String> outputNames() {
            return SIG.outputNames();
        }

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs) {
            long n = SIG.bind(inputs)[0];
            float[] x = inputs.get("x").toFloatArray();
            for (int i = 0; i < x.length; i++) {
                x[i] *= 2;
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            out.put("y/out", Tensor.ofFloats(new long[] {n}, x));
            out.put("threads", Tensor.ofLongs(new long[0], threads));
            return out;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void runsAndWritesEachOutput() {
        Path in = dir.resolve("x.npy");
        Npy.write(in, Tensor.ofFloats(new long[] {10}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
        Result r = run("--input", "x=" + in, "--output-dir", dir.resolve("out").toString(), "--threads=3");
        assertEquals(0, r.code, r.err);
        assertTrue(
                r.out.contains("y/out f32[10] = [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, ... (10 values)]"), r.out);
        assertTrue(r.out.contains("threads i64[] = [3]"), r.out);
        assertEquals(20f, Npy.read(dir.resolve("out/y_out.npy")).getFloat(9));
        assertArrayEquals(
                new long[] {3}, Npy.read(dir.resolve("out/threads.npy")).toLongArray());
    }

    @Test
    void executeClosesTheModelRunLeavesItToTheExitAFailedCallClosesIt() throws Exception {
        Path good = dir.resolve("x.npy");
        Npy.write(good, Tensor.ofFloats(new long[] {2}, 1, 2));
        Path bad = dir.resolve("ints.npy");
        Npy.write(bad, Tensor.ofLongs(new long[] {2}, 1, 2));
        List<Doubler> made = new ArrayList<>();
        IntFunction<CompiledModel> factory = t -> {
            Doubler d = new Doubler(t);
            made.add(d);
            return d;
        };
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        ArtifactMain.execute(new String[] {"--input", "x=" + good}, factory, sink);
        assertTrue(made.get(0).closed, "fsc run goes on after a call: execute closes");
        assertEquals(0, ArtifactMain.run(new String[] {"--input", "x=" + good}, factory, sink, sink));
        assertFalse(made.get(1).closed, "the jar's main exits next: run leaves the unmapping to the exit");
        assertEquals(2, ArtifactMain.run(new String[] {"--input", "x=" + bad}, factory, sink, sink));
        assertTrue(made.get(2).closed, "a failed call closes");
    }

    @Test
    void timingsGoToStderrAsOneLine() {
        Path in = dir.resolve("x.npy");
        Npy.write(in, Tensor.ofFloats(new long[] {2}, 1, 2));
        Result r = run("--input", "x=" + in, "--timings");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("y/out f32[2] = [2.0, 4.0]"), r.out);
        assertTrue(
                r.err.matches("timings: inputs [0-9.]+ ms, open [0-9.]+ ms, call [0-9.]+ ms, outputs [0-9.]+ ms\\R"),
                r.err);
        assertEquals("", run("--input", "x=" + in).err, "no timings unless asked");
    }

    @Test
    void acceptsOnnxTensorFiles() {
        Path in = dir.resolve("x.pb");
        OnnxTensorFile.write(in, Tensor.ofFloats(new long[] {2}, 1.5f, -1f), "x");
        Result r = run("--input=x=" + in);
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("y/out f32[2] = [3.0, -2.0]"), r.out);
    }

    @Test
    void errorsAreOneLineWithExitCode2() {
        Path in = dir.resolve("x.npy");
        Npy.write(in, Tensor.ofLongs(new long[] {2}, 1, 2));
        assertError(run("--input", "x=" + in), "error: input 'x' is i64[2], expected f32[N<=16]");
        assertError(run(), "error: missing --input x=FILE");
        assertError(run("--input", "x"), "error: --input wants NAME=FILE");
        assertError(run("--threads", "zero"), "error: --threads wants a positive integer");
        assertError(run("--frobnicate"), "error: unknown option '--frobnicate'");
        assertError(run("--input", "x=" + dir.resolve("nope.npy")), "error: cannot read");
        assertError(run("--input", "x=" + dir.resolve("x.txt")), "unknown tensor file type");
    }

    @Test
    void helpPrintsUsage() {
        Result r = run("--help");
        assertEquals(0, r.code);
        assertTrue(r.out.contains("--input NAME=FILE"));
    }

    private static void assertError(Result r, String part) {
        assertEquals(2, r.code);
        assertTrue(r.err.startsWith("error: ") && r.err.contains(part), r.err);
        assertEquals(1, r.err.lines().count(), r.err);
    }

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ArtifactMain.run(
                args,
                Doubler::new,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
