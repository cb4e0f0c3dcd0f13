package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static fsc.backend.java.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The support table and the checks that run before any code is generated. */
class SupportTableTest {
    private static final JavaBackendOptions OPTS = JavaBackendOptions.forModel("t");

    @Test
    void everyUnsupportedNodeIsListedInOneError() {
        GraphBuilder b = new GraphBuilder("unsupported");
        Value i = b.input("i", type(DType.I64, 2, 2));
        Value d = b.input("d", type(DType.F64, 2, 2));
        b.output(b.node("matmul", "int_mm", List.of(i, i), Map.of()));
        b.output(b.node("erf", "f64_erf", List.of(d), attrs()));
        b.output(b.node("matmul", "int_mm2", List.of(i, i), Map.of()));
        FscException e = assertThrows(FscException.class, () -> JavaBackend.sources(b.build(), OPTS));
        assertEquals(
                "graph 'unsupported': the Java backend has no kernel for erf(f64) -> f64 at f64_erf;"
                        + " matmul(i64) -> i64 at int_mm, int_mm2",
                e.getMessage());
    }

    @Test
    void hasKernelAnswersFromTheTableForWidenHalves() {
        GraphBuilder b = new GraphBuilder("halves");
        Value h = b.input("h", type(DType.F16, 2, 2));
        Value f = b.input("f", f32(2, 2));
        b.output(b.node("matmul", "h_mm", List.of(h, h), Map.of()));
        b.output(b.node("add", "h_add", List.of(h, h), Map.of()));
        b.output(b.node("matmul", "f_mm", List.of(f, f), Map.of()));
        Graph g = b.build();
        Map<String, Boolean> has = new java.util.TreeMap<>();
        g.nodes().forEach(n -> has.put(n.name(), JavaBackend.hasKernel(n)));
        // f16 matmul has no kernel, so the CPU pipeline's widen-halves runs it in f32; add has one.
        assertEquals(Map.of("f_mm", true, "h_add", true, "h_mm", false), has);
        Graph widened = fsc.passes.PassManager.builder()
                .build()
                .run(g, fsc.passes.Pipelines.cpuDefault(JavaBackend::hasKernel), fsc.passes.PassContext.defaults())
                .graph();
        // The unwidened graph is refused; the widened one passes the check that throws otherwise.
        assertThrows(FscException.class, () -> JavaBackend.sources(g, OPTS));
        assertTrue(widened.nodes().stream()
                .filter(n -> n.op().equals("matmul"))
                .allMatch(n -> n.input(0).dtype() == DType.F32));
        assertTrue(!JavaBackend.sources(widened, OPTS).isEmpty());
    }

    @Test
    void operandFormShapeOpsAskForFold() {
        GraphBuilder b = new GraphBuilder("unfolded");
        Value x = b.input("x", f32(2, 6));
        Value shape =
                b.constant("shape", HostTensor.ofLongs(new long[] {2}, 3, 4).toWeight());
        b.output(b.node("reshape", "/r", List.of(x, shape), Map.of()));
        FscException e = assertThrows(FscException.class, () -> JavaBackend.sources(b.build(), OPTS));
        assertTrue(e.getMessage().contains("node '/r' (reshape)"), e.getMessage());
        assertTrue(e.oneLine().contains("run the 'fold' pass first"), e.oneLine());
    }

    @Test
    void aSymbolNoInputDimensionNamesIsAnError() {
        GraphBuilder b = new GraphBuilder("unbindable").symbol("S", 8);
        Value x = b.input(
                "x", new fsc.ir.TensorType(DType.F32, List.of(Dim.sym("S").times(Dim.of(2)))));
        b.output(b.node("exp", "e", List.of(x), Map.of()));
        Graph g = b.build();
        FscException e = assertThrows(FscException.class, () -> JavaBackend.sources(g, OPTS));
        assertTrue(e.getMessage().contains("symbol S"), e.getMessage());
    }

    @Test
    void tableRowsAreSortedAndUnique() {
        List<String> ops = JavaKernelSupport.TABLE.stream()
                .map(JavaKernelSupport.Kernel::op)
                .toList();
        assertEquals(ops.stream().sorted().distinct().toList(), ops);
    }
}
