package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.passes.FusePass;
import fsc.passes.PassContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chains grouped by the {@code fuse} pass, compiled to one kernel each, against the interpreter on
 * the unfused graph: every broadcasting form, the vector path with a tail (odd sizes) and the scalar
 * path (tanh GELU has no vector form).
 */
class FusedElementwiseTest {
    @TempDir
    Path dir;

    @Test
    void fusedChainsMatchTheUnfusedGraph() throws Exception {
        GraphBuilder b = new GraphBuilder("fused");
        Value x = b.input("x", f32(5, 37));
        Value z = b.input("z", f32(5, 37));
        Value bias = b.input("bias", f32(37));
        Value col = b.input("col", f32(5, 1));
        Value mask = b.input("mask", f32(2, 1, 1, 19));
        Value one = b.constant("one", TestGraphs.scalar(1f));
        Value big = b.constant("big", TestGraphs.scalar(-10000f));
        Value two = b.constant("two", TestGraphs.scalar(2f));
        // Bias row and same-shape operands, a sigmoid, a square by a constant exponent: vector path.
        // (erf GELU is not fused: it stays a node that calls FloatMath.gelu.)
        Value a = b.node("add", "a", List.of(x, bias), Map.of());
        Value g = b.node("sigmoid", "g", List.of(a), Map.of());
        Value sq = b.node("pow", "sq", List.of(z, two), Map.of());
        b.output(b.node("sub", "row", List.of(g, sq), Map.of()));
        // Scalars and a [B,1,1,S] mask: the BERT attention-mask chain.
        Value inv = b.node("sub", "inv", List.of(one, mask), Map.of());
        b.output(b.node("mul", "maskbig", List.of(inv, big), Map.of()));
        // A column broadcast (inner stride 0, hoisted per row) into a tanh.
        Value d = b.node("div", "d", List.of(z, col), Map.of());
        Value t = b.node("tanh", "t", List.of(d), Map.of());
        b.output(b.node("sqrt", "colgelu", List.of(b.node("abs", "ab", List.of(t), Map.of())), Map.of()));
        Graph plain = b.build();
        Graph fused = new FusePass().run(plain, PassContext.defaults());
        List<String> ops = fused.nodes().stream().map(Node::op).toList();
        assertEquals(List.of("fused", "fused", "fused"), ops);
        String source = String.join("\n", JavaBackend.sources(fused, JavaBackendOptions.forModel("fused")));
        // One method per fused node; vector-path chains load vectors, and their tails run scalar Math.
        assertEquals(3, source.split("void n\\d+_fused\\(", -1).length - 1, source);
        assertTrue(source.contains("FloatVector.fromMemorySegment"), source);
        assertTrue(source.contains("Math.tanh"), source);
        try (ModelHarness h = ModelHarness.compile(fused, dir, 1)) {
            for (long seed = 1; seed <= 2; seed++) {
                Map<String, HostTensor> in = TestGraphs.randomInputs(plain, Map.of(), seed);
                Map<String, HostTensor> expected = new Interpreter(plain).run(in);
                Map<String, HostTensor> actual = h.run(in);
                expected.forEach((name, e) -> {
                    double diff = e.maxAbsDiff(actual.get(name));
                    assertTrue(diff <= 1e-4, name + ": max abs diff " + diff);
                });
            }
        }
    }
    /**
     * The Java backend does not chain erf GELU itself, but a cuda,java jar's Java code runs the CUDA
     * graph, whose chains hold it: such a chain runs (on the scalar path) and matches the interpreter.
     */
    @Test
    void aChainHoldingErfGeluFromAnotherBackendRuns() throws Exception {
        GraphBuilder b = new GraphBuilder("gelu_chain");
        Value x = b.input("x", f32(3, 37));
        Value bias = b.input("bias", f32(37));
        Value a = b.node("add", "a", List.of(x, bias), Map.of());
        b.output(b.node("gelu", "g", List.of(a), attrs("approximate", new Attr.Str("none"))));
        Graph plain = b.build();
        Graph fused = new FusePass(new fsc.passes.FusionRules(JavaBackend.fusedLoopOps(), false, java.util.Set.of()))
                .run(plain, PassContext.defaults());
        assertEquals(List.of("fused"), fused.nodes().stream().map(Node::op).toList());
        assertTrue(
                !new FusePass(JavaBackend.fusionRules())
                        .run(plain, PassContext.defaults()).nodes().stream()
                                .anyMatch(n ->
                                        n.isFused() && n.body().nodes().stream().anyMatch(m -> m.op().equals("gelu"))),
                "the Java backend's own rules keep gelu out of chains");
        try (ModelHarness h = ModelHarness.compile(fused, dir, 1)) {
            Map<String, HostTensor> in = TestGraphs.randomInputs(plain, Map.of(), 7);
            Map<String, HostTensor> expected = new Interpreter(plain).run(in);
            double diff = expected.get("g").maxAbsDiff(h.run(in).get("g"));
            assertTrue(diff <= 1e-5, "max abs diff " + diff);
        }
    }
}
