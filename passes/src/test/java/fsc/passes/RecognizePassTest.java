package fsc.passes;

import static fsc.passes.TestGraphs.attrs;
import static fsc.passes.TestGraphs.count;
import static fsc.passes.TestGraphs.none;
import static fsc.passes.TestGraphs.scalar;
import static fsc.passes.TestGraphs.type;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.Verifier;
import fsc.ir.text.IrPrinter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Golden and equivalence tests for {@link RecognizePass}; expectations in {@code src/test/resources/recognize/}. */
class RecognizePassTest {
    private static final Map<String, Long> BINDING = Map.of("B", 2L, "S", 3L);

    private static Graph recognize(Graph in, String golden) {
        Graph out = new RecognizePass().run(in, PassContext.defaults());
        Verifier.verify(out);
        GoldenFiles.assertGolden("recognize", golden, IrPrinter.print(out));
        Equivalence.assertSameOutputs(in, out, BINDING);
        return out;
    }

    @Test
    void miniBertBecomesLayerNormGeluAndAttention() {
        Graph folded = PassManager.builder()
                .build()
                .run(MiniBert.build(), List.of(new FoldPass(), new CsePass(), new DcePass()), PassContext.defaults())
                .graph();
        Graph out = new RecognizePass().run(folded, PassContext.defaults());
        Verifier.verify(out);
        GoldenFiles.assertGolden("recognize", "mini_bert", IrPrinter.print(out));
        assertEquals(3, count(out, "layer_norm"));
        assertEquals(1, count(out, "gelu"));
        assertEquals(1, count(out, "attention"));
        assertEquals(0, count(out, "softmax") + count(out, "erf") + count(out, "reduce_mean") + count(out, "pow"));
        for (int seq : new int[] {1, 5}) {
            Equivalence.assertSameOutputs(folded, out, Map.of("B", 2L, "S", (long) seq), MiniBert.inputs(2, seq));
        }
    }

    @Test
    void geluTanhAndOtherBracketings() {
        GraphBuilder b = new GraphBuilder("main").symbol("B", 4);
        Value x = b.input("x", type(DType.F32, "B", 5));
        Value half = b.constant("half", scalar(0.5f));
        Value one = b.constant("one", scalar(1f));
        Value c = b.constant("c", scalar((float) Math.sqrt(2 / Math.PI)));
        Value k = b.constant("k", scalar(0.044715f));
        Value three = b.constant("three", scalar(3f));
        Value cube = b.node("pow", "cube", List.of(x, three), none());
        Value inner = b.node("add", "inner", List.of(x, b.node("mul", "kx3", List.of(k, cube), none())), none());
        Value t = b.node("tanh", "t", List.of(b.node("mul", "scaled", List.of(c, inner), none())), none());
        Value onePlus = b.node("add", "one_plus", List.of(one, t), none());
        // 0.5 * x first, then the bracket: another way exports write the product.
        Value halfX = b.node("mul", "half_x", List.of(x, half), none());
        Value y = b.node("mul", "y", List.of(halfX, onePlus), none());
        Graph out = recognize(b.output(y).build(), "gelu_tanh");
        assertEquals(List.of("gelu"), out.nodes().stream().map(n -> n.op()).toList());
        assertEquals("tanh", out.nodes().getFirst().strAttr("approximate"));
    }

    @Test
    void siluAndRmsNorm() {
        GraphBuilder b = new GraphBuilder("main").symbol("B", 4);
        Value x = b.input("x", type(DType.F32, "B", 6));
        Value w = b.constant("w", TestGraphs.random(1, 6));
        Value two = b.constant("two", scalar(2f));
        Value eps = b.constant("eps", scalar(1e-6f));
        Value ms = b.node(
                "reduce_mean", "ms", List.of(b.node("pow", "sq", List.of(x, two), none())), attrs("axes", ints(-1)));
        Value rs = b.node(
                "reciprocal",
                "rs",
                List.of(b.node("sqrt", "root", List.of(b.node("add", "ms_eps", List.of(ms, eps), none())), none())),
                none());
        Value normed = b.node("mul", "normed", List.of(x, rs), none());
        Value h = b.node("mul", "h", List.of(w, normed), none());
        Value sig = b.node("sigmoid", "sig", List.of(h), none());
        Value y = b.node("mul", "y", List.of(h, sig), none());
        Graph out = recognize(b.output(y).build(), "silu_rms_norm");
        assertEquals(
                List.of("rms_norm", "silu"),
                out.nodes().stream().map(n -> n.op()).toList());
    }

    @Test
    void attentionWithoutMaskOrTransposeGetsATranspose() {
        GraphBuilder b = new GraphBuilder("main").symbol("B", 4).symbol("S", 8);
        Value q = b.input("q", type(DType.F32, "B", 2, "S", 4));
        Value kT = b.input("kT", type(DType.F32, "B", 2, 4, "S"));
        Value v = b.input("v", type(DType.F32, "B", 2, "S", 4));
        Value s = b.node("matmul", "qk", List.of(q, kT), none());
        Value scaled = b.node("mul", "scaled", List.of(s, b.constant("scale", scalar(0.5f))), none());
        Value p = b.node("softmax", "p", List.of(scaled), attrs("axis", Attr.of(3L)));
        Value y = b.node("matmul", "y", List.of(p, v), none());
        Graph out = recognize(b.output(y).build(), "attention_plain");
        assertEquals(
                List.of("transpose", "attention"),
                out.nodes().stream().map(n -> n.op()).toList());
    }

    @Test
    void scaleSpanningMoreThanTheNormalisedAxesIsLeftAlone() {
        GraphBuilder b = new GraphBuilder("main").symbol("B", 4);
        Value x = b.input("x", type(DType.F32, "B", 3, 4));
        Value w = b.constant("w", TestGraphs.random(1, 3, 4));
        Value two = b.constant("two", scalar(2f));
        Value eps = b.constant("eps", scalar(1e-5f));
        Value mean = b.node("reduce_mean", "mean", List.of(x), attrs("axes", ints(-1)));
        Value d = b.node("sub", "d", List.of(x, mean), none());
        Value var = b.node(
                "reduce_mean", "var", List.of(b.node("pow", "sq", List.of(d, two), none())), attrs("axes", ints(-1)));
        Value root = b.node("sqrt", "root", List.of(b.node("add", "var_eps", List.of(var, eps), none())), none());
        Value y = b.node("mul", "y", List.of(b.node("div", "n", List.of(d, root), none()), w), none());
        Graph in = b.output(y).build();
        assertSame(in, new RecognizePass().run(in, PassContext.defaults()));
    }

    private static Attr ints(long... v) {
        return new Attr.Ints(java.util.Arrays.stream(v).boxed().toList());
    }
}
