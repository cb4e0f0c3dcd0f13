package fsc.passes;

import static fsc.passes.TestGraphs.none;
import static fsc.passes.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.MemoryPlan;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.Verifier;
import fsc.ir.text.IrPrinter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Golden and invariant tests for {@link PlanMemoryPass}; expectations in {@code src/test/resources/plan-memory/}. */
class PlanMemoryPassTest {

    /**
     * Hand-computed (B ≤ 4, f32): every [B,16] value is 4·16·4 = 256 bytes, [B,32] 512 bytes.
     *
     * <pre>
     * #0 %a = matmul(%x, %w1)   [B,32] 512   live 0..1
     * #1 %b = gelu(%a)          in place in %a's buffer, live 0..2
     * #2 %c = matmul(%b, %w2)   [B,16] 256   live 2..4
     * #3 %d = reshape(%c)       view of %c
     * #4 %e = add(%d, %x)       [B,16]: %d dies here, same type: in place, live 2..end (output)
     * </pre>
     * Placement, largest first: buffer a (512) at 0; buffer c (256) overlaps a at node 2 only, so
     * it goes above: 512. Arena 768 = peak live (node 2 holds both), naive 512+512+256+256 = 1536.
     */
    @Test
    void handComputedOffsets() {
        GraphBuilder b = new GraphBuilder("main").symbol("B", 4);
        Value x = b.input("x", type(DType.F32, "B", 16));
        Value a = b.node("matmul", "a", List.of(x, b.constant("w1", TestGraphs.random(1, 16, 32))), none());
        Value g = b.node("gelu", "b", List.of(a), none());
        Value c = b.node("matmul", "c", List.of(g, b.constant("w2", TestGraphs.random(2, 32, 16))), none());
        Value d = b.node("reshape", "d", List.of(c), Map.of("shape", new Attr.Dims(List.of(Dim.sym("B"), Dim.of(16)))));
        Value e = b.node("add", "e", List.of(d, x), none());
        Graph out = new PlanMemoryPass().run(b.output(e).build(), PassContext.defaults());
        Verifier.verify(out);
        MemoryPlan p = out.plan();
        assertEquals(768, p.arenaBytes());
        assertEquals(768, p.peakLiveBytes());
        assertEquals(1536, p.naiveBytes());
        assertEquals(List.of(0L, 0L, 512L, 512L, 512L), offsets(out));
        GoldenFiles.assertGolden("plan-memory", "hand_computed", IrPrinter.print(out));
    }

    @Test
    void miniBertPlanIsValidAndNearTheLowerBound() {
        Graph g = PassManager.builder()
                .build()
                // The panel width is pinned so the golden dump does not depend on the machine.
                .run(
                        MiniBert.build(),
                        Pipelines.cpuDefault(),
                        PassContext.of(java.util.Map.of("layout.panel", "16"), d -> {}))
                .graph();
        MemoryPlan p = g.plan();
        assertTrue(p.arenaBytes() >= p.peakLiveBytes());
        assertTrue(p.arenaBytes() < p.naiveBytes(), "reuse must save something");
        assertTrue(p.arenaBytes() <= 1.25 * p.peakLiveBytes(), p.toString());
        assertNoLiveOverlap(g);
        GoldenFiles.assertGolden("plan-memory", "mini_bert", IrPrinter.print(g));
    }

    @Test
    void aValueReadLaterIsNeverOverwrittenInPlace() {
        GraphBuilder b = new GraphBuilder("main");
        Value x = b.input("x", type(DType.F32, 8));
        Value a = b.node("exp", "a", List.of(x), none());
        Value t = b.node("tanh", "t", List.of(a), none());
        Value y = b.node("add", "y", List.of(t, a), none()); // a is still read here, so t is not in place
        Graph out = new PlanMemoryPass().run(b.output(y).build(), PassContext.defaults());
        List<Long> o = offsets(out);
        assertFalse(o.get(0).equals(o.get(1)), "tanh must not overwrite %a: " + o);
        assertNoLiveOverlap(out);
    }

    private static List<Long> offsets(Graph g) {
        List<Long> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            out.add(g.plan().slotOf(n.output()).offset());
        }
        return out;
    }

    /**
     * Independent check of the plan: two values live at the same node (defined at or before it, read
     * at or after it) must not share bytes, unless one is the other's view or in-place successor
     * (the later one's node reads the earlier one and it is not read after that node).
     */
    static void assertNoLiveOverlap(Graph g) {
        Map<Value, Integer> def = new IdentityHashMap<>();
        Map<Value, Integer> last = new IdentityHashMap<>();
        List<Node> nodes = g.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            for (Value in : nodes.get(i).inputs()) {
                last.put(in, i);
            }
            for (Value out : nodes.get(i).outputs()) {
                def.put(out, i);
                last.putIfAbsent(out, i);
            }
        }
        g.outputs().forEach(v -> last.put(v, nodes.size()));
        List<Value> planned = new ArrayList<>(g.plan().slots().keySet());
        planned.sort(java.util.Comparator.comparingInt(def::get));
        for (int i = 0; i < planned.size(); i++) {
            for (int j = i + 1; j < planned.size(); j++) {
                Value u = planned.get(i);
                Value v = planned.get(j);
                MemoryPlan.Slot su = g.plan().slotOf(u);
                MemoryPlan.Slot sv = g.plan().slotOf(v);
                boolean bytes = su.offset() < sv.end() && sv.offset() < su.end();
                boolean handOver = nodes.get(def.get(v)).inputs().contains(u) && last.get(u) <= def.get(v);
                boolean liveTogether = def.get(v) < last.get(u) || (def.get(v).equals(last.get(u)) && !handOver);
                boolean aliasChain = bytes && su.offset() == sv.offset() && chained(g, u, v, def, last);
                assertFalse(bytes && liveTogether && !aliasChain, u + " and " + v + " overlap while both live");
            }
        }
    }

    /** Whether v is reached from u through views and in-place ops (each step reading the previous value). */
    private static boolean chained(Graph g, Value u, Value v, Map<Value, Integer> def, Map<Value, Integer> last) {
        Value cur = v;
        while (cur != u) {
            Integer d = def.get(cur);
            if (d == null) {
                return false;
            }
            Node n = g.nodes().get(d);
            Value prev = null;
            for (Value in : n.inputs()) {
                if (g.plan().slotOf(in) != null
                        && g.plan().slotOf(in).offset() == g.plan().slotOf(cur).offset()) {
                    prev = in;
                }
            }
            if (prev == null) {
                return false;
            }
            cur = prev;
        }
        return true;
    }
}
