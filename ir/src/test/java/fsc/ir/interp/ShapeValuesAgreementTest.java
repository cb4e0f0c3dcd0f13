package fsc.ir.interp;

import static fsc.ir.TestTypes.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TestWeights;
import fsc.ir.Value;
import fsc.ir.Verifier;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Compile-time contents ({@link fsc.ir.ops.ShapeValues}) must equal what the interpreter computes at
 * run time once the symbols are bound: the two are independent implementations of the same ops.
 */
class ShapeValuesAgreementTest {

    @Test
    void compileTimeContentsMatchRunTimeValues() {
        GraphBuilder b = new GraphBuilder("shapes").symbol("B", 4).symbol("S", 16);
        Value x = b.input("x", t("f32[B,S,24]"));
        Value shape = b.node("shape", "shape", List.of(x), Map.of());
        Value tail = b.node("shape", "tail", List.of(x), Map.of("start", Attr.of(-2)));
        Value batch = b.node("gather", "batch", List.of(shape, b.constant("i0", TestWeights.scalar(0))), Map.of());
        Value seq = b.node("gather", "seq", List.of(shape, b.constant("im2", TestWeights.scalar(-2))), Map.of());
        Value tokens = b.node("mul", "tokens", List.of(batch, seq), Map.of());
        Value perHead = b.node(
                "div",
                "per_head",
                List.of(
                        b.node("gather", "width", List.of(shape, b.constant("i2", TestWeights.scalar(2))), Map.of()),
                        b.constant("heads", TestWeights.scalar(4))),
                Map.of());
        Value axes = b.constant("axes", TestWeights.vector(0));
        Value target = b.node(
                "concat",
                "target",
                List.of(
                        b.node("unsqueeze", "ub", List.of(batch, axes), Map.of()),
                        b.node("unsqueeze", "us", List.of(seq, axes), Map.of()),
                        b.constant("four", TestWeights.vector(4)),
                        b.node("unsqueeze", "uh", List.of(perHead, axes), Map.of())),
                Map.of("axis", Attr.of(0)));
        Value guard = b.node(
                "where",
                "guard",
                List.of(
                        b.node("equal", "is_neg", List.of(target, b.constant("m1", TestWeights.scalar(-1))), Map.of()),
                        b.constant("ones", TestWeights.vector(1, 1, 1, 1)),
                        target),
                Map.of());
        Value sliced = b.node(
                "slice",
                "sliced",
                List.of(guard, b.constant("s", TestWeights.vector(1)), b.constant("e", TestWeights.vector(100))),
                Map.of());
        Value asI32 = b.node("cast", "as_i32", List.of(sliced), Map.of("to", new Attr.Type(DType.I32)));
        Value heads = b.node("reshape", "heads_view", List.of(x, guard), Map.of());
        Value filled = b.node("constant_of_shape", "filled", List.of(tail), Map.of("dtype", new Attr.Type(DType.I64)));

        Value one = b.constant("one", TestWeights.scalar(1));
        Value biggest = b.node("max", "biggest", List.of(seq, one), Map.of());
        Value zero = b.constant("zero", TestWeights.scalar(0));
        Value smallest = b.node("min", "smallest", List.of(batch, zero), Map.of());
        // B*S > 0 is provable; B*S > 1 is not (B = S = 1), so only the former is tracked.
        Value positive = b.node("greater", "positive", List.of(tokens, zero), Map.of());
        Value negated = b.node("neg", "negated", List.of(perHead), Map.of());
        Value repeated = b.node("expand", "repeated", List.of(seq, b.constant("n2", TestWeights.vector(2))), Map.of());
        Value steps =
                b.node("range", "steps", List.of(one, perHead, b.constant("two", TestWeights.scalar(2))), Map.of());

        List<Value> checked = List.of(
                shape, tail, batch, seq, tokens, perHead, target, guard, sliced, asI32, biggest, smallest, positive,
                negated, repeated, steps);
        checked.forEach(b::output);
        b.output(heads).output(filled);
        Graph g = b.build();
        Verifier.verify(g);
        assertEquals(t("f32[B,S,4,6]"), heads.type());
        assertEquals(t("i64[S,24]"), filled.type());

        Map<String, Long> binding = Map.of("B", 3L, "S", 5L);
        Map<String, HostTensor> out =
                new Interpreter(g).run(Map.of("x", HostTensor.random(DType.F32, new long[] {3, 5, 24}, new Random(3))));
        for (Value v : checked) {
            List<Dim> contents = b.known().get(v).orElseThrow(() -> new AssertionError(v.name() + " has no contents"));
            long[] expected =
                    contents.stream().mapToLong(d -> d.evaluate(binding)).toArray();
            assertArrayEquals(expected, out.get(v.name()).toLongArray(), v.name());
        }
        assertArrayEquals(new long[] {3, 5, 4, 6}, out.get("heads_view").shape());
    }
}
