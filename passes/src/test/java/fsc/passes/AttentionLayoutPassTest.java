package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.ir.text.IrParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code attention-layout} on BERT's transposes: q, k and v read in place and the output written
 * sequence-major (layout 15), the interpreter giving the same outputs; a transpose another node
 * also reads stays for it, and an output that is a graph output keeps its transpose.
 */
class AttentionLayoutPassTest {
    private static final String BERT =
            """
            graph @bert(%q: f32[1,5,2,4], %k: f32[1,5,2,4], %v: f32[1,5,2,4]) -> (%y: f32[1,5,2,4], %z: f32[1,2,5,4]) {
              %qt: f32[1,2,5,4] = transpose(%q) {perm = [0, 2, 1, 3]}
              %kt: f32[1,2,5,4] = transpose(%k) {perm = [0, 2, 1, 3]}
              %vt: f32[1,2,5,4] = transpose(%v) {perm = [0, 2, 1, 3]}
              %a: f32[1,2,5,4] = attention(%qt, %kt, %vt)
              %y: f32[1,5,2,4] = transpose(%a) {perm = [0, 2, 1, 3]}
              %z: f32[1,2,5,4] = add(%vt, %vt)
              return %y, %z
            }
            """;

    /** The same attention whose output is itself a graph output. */
    private static final String OUTPUT =
            """
            graph @out(%q: f32[1,5,2,4], %k: f32[1,5,2,4], %v: f32[1,5,2,4]) -> (%a: f32[1,2,5,4]) {
              %qt: f32[1,2,5,4] = transpose(%q) {perm = [0, 2, 1, 3]}
              %kt: f32[1,2,5,4] = transpose(%k) {perm = [0, 2, 1, 3]}
              %vt: f32[1,2,5,4] = transpose(%v) {perm = [0, 2, 1, 3]}
              %a: f32[1,2,5,4] = attention(%qt, %kt, %vt)
              return %a
            }
            """;

    @Test
    void readsAndWritesSequenceMajorWithTheSameOutputs() {
        Graph in = IrParser.parse(BERT, "bert.fsir");
        Graph out = new DcePass()
                .run(
                        new AttentionLayoutPass().run(in, PassContext.of(Map.of(), d -> {})),
                        PassContext.of(Map.of(), d -> {}));
        Node attention = only(out, "attention");
        assertEquals(15, attention.intAttr("layout"));
        assertEquals("y", attention.output().name(), "the attention writes the former transpose's value");
        // q's and k's transposes are gone; v's stays for the add that reads it too.
        assertEquals(
                1, out.nodes().stream().filter(n -> n.op().equals("transpose")).count());
        assertSameOutputs(in, out);
    }

    @Test
    void anOutputThatLeavesTheGraphStaysHeadMajor() {
        Graph in = IrParser.parse(OUTPUT, "out.fsir");
        Graph out = new AttentionLayoutPass().run(in, PassContext.of(Map.of(), d -> {}));
        assertEquals(7, only(out, "attention").intAttr("layout"));
        assertSameOutputs(in, out);
    }

    private static Node only(Graph g, String op) {
        List<Node> found = new ArrayList<>(
                g.nodes().stream().filter(n -> n.op().equals(op)).toList());
        assertEquals(1, found.size(), op);
        return found.getFirst();
    }

    private static void assertSameOutputs(Graph in, Graph out) {
        Random rnd = new Random(3);
        Map<String, HostTensor> inputs = Map.of(
                "q", HostTensor.random(fsc.ir.DType.F32, new long[] {1, 5, 2, 4}, rnd),
                "k", HostTensor.random(fsc.ir.DType.F32, new long[] {1, 5, 2, 4}, rnd),
                "v", HostTensor.random(fsc.ir.DType.F32, new long[] {1, 5, 2, 4}, rnd));
        Map<String, HostTensor> before = new Interpreter(in).run(inputs);
        Map<String, HostTensor> after = new Interpreter(out).run(inputs);
        assertEquals(before.keySet(), after.keySet());
        for (String name : before.keySet()) {
            assertEquals(0.0, before.get(name).maxAbsDiff(after.get(name)), name);
        }
    }
}
