package fsc.cli.pictures;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.passes.PassContext;
import fsc.passes.PlanMemoryPass;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memory-plan SVG and the graph's DOT text on a small planned graph. */
class PicturesTest {
    private static Graph planned() {
        GraphBuilder b = new GraphBuilder("tiny").symbol("B", 4);
        Value x = b.input("x", new TensorType(DType.F32, List.of(Dim.sym("B"), Dim.of(16))));
        Value e = b.node("exp", "e", List.of(x), Map.of());
        Value t = b.node("tanh", "t", List.of(e), Map.of());
        Value y = b.node("add", "y", List.of(t, e), Map.of());
        return new PlanMemoryPass().run(b.output(y).build(), PassContext.defaults());
    }

    @Test
    void oneRectanglePerBufferWithHoverTitles() {
        String svg = MemoryPlanSvg.render(planned());
        assertTrue(svg.startsWith("<svg "), svg);
        assertEquals(3, svg.split("<title>", -1).length - 1, svg);
        assertTrue(svg.contains("<title>%t: f32[B,16] = tanh\noffset 0x100, 256 B, live nodes 1..2</title>"), svg);
        assertEquals(svg, MemoryPlanSvg.render(planned()), "deterministic");
    }

    @Test
    void anUnplannedGraphIsAUserError() {
        Graph g = planned().withPlan(null);
        assertThrows(FscException.class, () -> MemoryPlanSvg.render(g));
    }

    @Test
    void withoutGraphvizTheDotFileIsWrittenAndExplained(@TempDir Path dir) throws Exception {
        String msg = Pictures.writeGraph(planned(), dir.resolve("g.svg"), dir.toString());
        assertTrue(msg.contains("render it with `dot -Tsvg"), msg);
        String dot = Files.readString(dir.resolve("g.dot"));
        assertTrue(dot.contains("n1 [shape=box, label=\"tanh\\nt\\nf32[B,16]\"];"), dot);
        assertTrue(dot.contains("n0 -> n2 [label=\"f32[B,16]\"];"), dot);
    }
}
