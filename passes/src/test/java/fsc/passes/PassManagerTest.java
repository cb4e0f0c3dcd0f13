package fsc.passes;

import static fsc.passes.TestGraphs.attrs;
import static fsc.passes.TestGraphs.i64;
import static fsc.passes.TestGraphs.none;
import static fsc.passes.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.text.IrPrinter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PassManagerTest {

    /** {@code y = reshape(x, concat(shape(x)[0], [4]))}: fold, cse and dce all have work. */
    private static Graph sample() {
        GraphBuilder b = new GraphBuilder("sample").symbol("B", 4);
        Value x = b.input("x", type(DType.F32, "B", 2, 2));
        Value shape = b.node("shape", "shape", List.of(x), none());
        Value shapeAgain = b.node("shape", "shape_again", List.of(x), none());
        Value batch = b.node("gather", "batch", List.of(shape, b.constant("zero", i64(0))), attrs("axis", Attr.of(0L)));
        Value rest = b.node(
                "slice", "rest", List.of(shapeAgain, b.constant("one", i64(1)), b.constant("three", i64(3))), none());
        Value target =
                b.node("concat", "target", List.of(batch, b.constant("four", i64(4))), attrs("axis", Attr.of(0L)));
        Value y = b.node("reshape", "y", List.of(x, target), none());
        Value z = b.node("expand", "z", List.of(b.constant("ones", TestGraphs.f32(new long[] {1}, 1)), rest), none());
        return b.output(y).output(z).build();
    }

    /** A pass that breaks the graph: it retypes the first node's output. */
    @PassInfo(name = "break-types", summary = "test only: records a wrong output type")
    static final class BreakTypes implements Pass {
        @Override
        public Graph run(Graph g, PassContext ctx) {
            Node first = g.nodes().getFirst();
            Value wrong = new Value("broken", type(DType.I32, 1));
            List<Node> nodes = new ArrayList<>(g.nodes());
            nodes.set(0, new Node(first.op(), first.name(), first.inputs(), List.of(wrong), first.attrs()));
            return g.withNodes(nodes);
        }
    }

    @Test
    void dumpsEveryStepWithNumberedNames(@TempDir Path dir) throws IOException {
        Graph in = sample();
        PipelineResult r = PassManager.builder()
                .dumpDir(dir.resolve("ir"))
                .build()
                .run(in, Pipelines.cpuDefault(), PassContext.defaults());
        List<String> expected = new ArrayList<>(List.of("00-import.fsir"));
        List<Pass> pipeline = Pipelines.cpuDefault();
        for (int i = 0; i < pipeline.size(); i++) {
            expected.add(String.format("%02d-%s.fsir", i + 1, pipeline.get(i).name()));
        }
        // The weights the dumps name, once, so any dump can be compiled again.
        expected.add(fsc.ir.text.WeightSideFile.NAME);
        try (Stream<Path> files = Files.list(dir.resolve("ir"))) {
            assertEquals(
                    expected,
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(
                List.of("00-import.fsir", "01-quantize.fsir", "02-fold.fsir", "03-cse.fsir"), expected.subList(0, 4));
        assertEquals(IrPrinter.print(in), Files.readString(dir.resolve("ir/00-import.fsir")));
        assertEquals(IrPrinter.print(r.graph()), Files.readString(dir.resolve("ir/" + expected.get(pipeline.size()))));
        GoldenFiles.assertGolden("cpu-default", "sample", IrPrinter.print(r.graph()));
        Equivalence.assertSameOutputs(in, r.graph(), Map.of("B", 3L));
    }

    @Test
    void timesEachPassAndCountsNodes() {
        PipelineResult r = PassManager.builder().build().run(sample(), Pipelines.cpuDefault(), PassContext.defaults());
        assertEquals(
                Pipelines.cpuDefault().stream().map(Pass::name).toList(),
                r.runs().stream().map(PassRun::pass).toList());
        assertEquals(
                List.of("quantize", "fold", "cse"),
                r.runs().stream().map(PassRun::pass).toList().subList(0, 3));
        assertEquals(7, r.runs().getFirst().nodesBefore());
        assertEquals(r.graph().nodes().size(), r.runs().getLast().nodesAfter());
        List<String> lines = r.timingReport().lines().toList();
        assertEquals(r.runs().size() + 2, lines.size(), r.timingReport());
        assertTrue(lines.get(0).matches("#\\s+pass\\s+ms\\s+nodes"), lines.get(0));
        // quantize has no quantization ops to lower in this model: it leaves it as it is.
        assertTrue(lines.get(1).matches("01\\s+quantize\\s+\\d+\\.\\d\\d  7 -> 7"), lines.get(1));
        assertTrue(lines.get(2).matches("02\\s+fold\\s+\\d+\\.\\d\\d  7 -> \\d+"), lines.get(2));
        assertTrue(lines.getLast().matches("\\s+total\\s+\\d+\\.\\d\\d  7 -> 1"), lines.getLast());
    }

    @Test
    void aBrokenGraphIsBlamedOnThePassThatMadeIt() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PassManager.builder()
                .build()
                .run(sample(), List.of(new FoldPass(), new BreakTypes()), PassContext.defaults()));
        assertTrue(e.getMessage().startsWith("pass 'break-types' (#2) produced an invalid graph: "), e.getMessage());
    }

    @Test
    void listenersSeeEveryPassWithItsInputAndOutput() {
        List<String> seen = new ArrayList<>();
        Graph in = sample();
        PipelineResult r = PassManager.builder()
                .afterEachPass((run, before, after) -> {
                    seen.add(run.index() + ":" + run.pass());
                    assertEquals(run.nodesBefore(), before.nodes().size());
                    assertEquals(run.nodesAfter(), after.nodes().size());
                })
                .build()
                .run(in, Pipelines.cpuDefault(), PassContext.defaults());
        assertEquals(List.of("1:quantize", "2:fold", "3:cse"), seen.subList(0, 3));
        assertEquals(Pipelines.cpuDefault().size(), seen.size());
        assertTrue(r.graph().nodes().size() < in.nodes().size());
    }

    @Test
    void diagnosticsNameTheirPass() {
        List<Diagnostic> diagnostics = new ArrayList<>();
        PassManager.builder().build().run(sample(), Pipelines.cpuDefault(), PassContext.of(Map.of(), diagnostics::add));
        // sample() has nothing to recognize, so recognize and the second dce stay silent.
        assertEquals(
                List.of("fold", "cse", "dce", "plan-memory"),
                diagnostics.stream().map(Diagnostic::pass).toList());
        assertTrue(
                diagnostics.getFirst().toString().startsWith("note: [fold] "),
                diagnostics.getFirst().toString());
    }

    @Test
    void anInvalidInputIsTheModelsFaultNotAPasss() {
        Graph broken = new BreakTypes().run(sample(), PassContext.defaults());
        FscException e = assertThrows(
                FscException.class,
                () -> PassManager.builder().build().run(broken, Pipelines.cpuDefault(), PassContext.defaults()));
        assertTrue(e.getMessage().contains("'shape'"), e.getMessage());
    }

    @Test
    void anEmptyPipelineReturnsTheInput() {
        Graph in = sample();
        PipelineResult r = PassManager.builder().build().run(in, List.of(), PassContext.defaults());
        assertSame(in, r.graph());
        assertTrue(r.timingReport().lines().anyMatch(l -> l.contains("total")));
    }
}
