package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.type;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The f64 matmul and softmax/log_softmax paths (scalar loops in double, for ONNX's double tests such
 * as FlexAttention's) against the interpreter: odd sizes, batched and shared right operands, softmax
 * over the last and a middle axis.
 */
class DoubleKernelsTest {
    @TempDir
    Path dir;

    @Test
    void matmulAndSoftmaxInDoubleMatchTheInterpreter() throws Exception {
        GraphBuilder b = new GraphBuilder("doubles");
        Value a = b.input("a", type(DType.F64, 2, 3, 5, 7));
        Value bb = b.input("b", type(DType.F64, 2, 3, 7, 3));
        Value shared = b.input("shared", type(DType.F64, 7, 9));
        b.output(b.node("matmul", "batched", List.of(a, bb), Map.of()));
        b.output(b.node("matmul", "shared_rhs", List.of(a, shared), Map.of()));
        for (int axis : new int[] {-1, 2}) {
            b.output(b.node("softmax", "softmax" + (axis + 1), List.of(a), attrs("axis", new Attr.Int(axis))));
            b.output(b.node("log_softmax", "log_softmax" + (axis + 1), List.of(a), attrs("axis", new Attr.Int(axis))));
        }
        Graph g = b.build();
        try (ModelHarness h = ModelHarness.compile(g, dir, 1)) {
            h.assertMatchesInterpreter(TestGraphs.randomInputs(g, Map.of(), 91), 1e-12);
        }
    }
}
