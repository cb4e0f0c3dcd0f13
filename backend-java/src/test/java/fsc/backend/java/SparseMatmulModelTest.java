package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.runtime.kernels.SparseColumnsMatmul;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A matmul by a constant with at most four non-zeros per column (a Resize's interpolation table)
 * compiles to {@link SparseColumnsMatmul}, one per such node, and gives the interpreter's values;
 * a dense constant keeps the GEMM.
 */
class SparseMatmulModelTest {
    @TempDir
    Path dir;

    private static final int K = 40;
    private static final int N = 80;

    @Test
    void aResizeTableRunsSparseAndMatchesTheInterpreter() throws Exception {
        for (int taps : new int[] {2, 4, 40}) {
            Graph g = graph(taps);
            for (int threads : new int[] {1, 2}) {
                Path out = Files.createDirectories(dir.resolve("t" + taps + "-" + threads));
                try (ModelHarness h = ModelHarness.compile(g, out, threads)) {
                    long sparseFields = Arrays.stream(h.model.getClass().getDeclaredFields())
                            .map(Field::getType)
                            .filter(SparseColumnsMatmul.class::equals)
                            .count();
                    assertEquals(taps <= SparseColumnsMatmul.MAX_PER_COLUMN ? 1 : 0, sparseFields, "taps " + taps);
                    Random r = new Random(taps);
                    HostTensor x = HostTensor.zeros(DType.F32, new long[] {3, 70, K});
                    for (int i = 0; i < x.size(); i++) {
                        x.setDouble(i, r.nextGaussian());
                    }
                    Map<String, HostTensor> want = new Interpreter(g).run(Map.of("x", x));
                    Map<String, HostTensor> got = h.run(Map.of("x", x));
                    double diff = want.get("y").maxAbsDiff(got.get("y"));
                    assertTrue(diff < 1e-5, "taps " + taps + ", " + threads + " threads: " + diff);
                }
            }
        }
    }

    /** x f32[3,70,K] · B[K,N], column j of B blending {@code taps} consecutive rows around j·K/N. */
    private static Graph graph(int taps) {
        GraphBuilder b = new GraphBuilder("resize_table");
        Value x = b.input("x", TestGraphs.f32(3, 70, K));
        HostTensor w = HostTensor.zeros(DType.F32, new long[] {K, N});
        Random r = new Random(7);
        for (int j = 0; j < N; j++) {
            int first = Math.max(0, Math.min(K - taps, j * K / N - taps / 2 + 1));
            for (int t = 0; t < taps; t++) {
                w.setDouble((long) (first + t) * N + j, r.nextFloat() + 0.1);
            }
        }
        Value y = b.node("matmul", "y", List.of(x, b.constant("table", w.toWeight())), Map.of());
        return b.output(y).build();
    }
}
