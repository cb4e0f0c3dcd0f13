package fsc.ir.text;

import static fsc.ir.TestTypes.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.MemoryPlan;
import fsc.ir.Node;
import fsc.ir.Region;
import fsc.ir.TestWeights;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IrParserTest {

    /** Every attribute kind, symbols, metadata with escapes, multi-output nodes, shared weights. */
    private static Graph everyAttributeKind() {
        GraphBuilder b = new GraphBuilder("main.v2")
                .symbol("S", 512)
                .symbol("B", 64)
                .metadata("source", "tiny \"x\".onnx\n")
                .metadata("sha256", "ab12");
        Value ids = b.input("input_ids", t("i64[B,S]"));
        Value emb = b.constant(
                "tok_emb", "emb", TestWeights.floats(new long[] {3, 4}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));
        Value g = b.node("gather", "/embeddings/Gather", List.of(emb, ids), Map.of("axis", Attr.of(0)));
        Value ln = b.node(
                "layer_norm",
                "/ln",
                List.of(g, b.constant("w", TestWeights.floats(new long[] {4}, 1, 1, 1, 1))),
                Map.of("epsilon", Attr.of(1e-12), "axis", Attr.of(-1)));
        List<Value> parts = b.node(
                "split", "", List.of(ln), Map.of("axis", Attr.of(2), "num_outputs", Attr.of(2)), List.of("a", "a"));
        Value sum = b.node("add", "", List.of(parts.get(0), parts.get(1)), Map.of());
        Value clip = b.node(
                "clip", "\t", List.of(sum), Map.of("min", Attr.of(Double.NEGATIVE_INFINITY), "max", Attr.of(6.0)));
        Value r = b.node(
                "reshape",
                "/Reshape",
                List.of(clip),
                Map.of("shape", new Attr.Dims(List.of(Dim.sym("B").times(Dim.sym("S")), Dim.of(-1)))));
        Value tr = b.node("transpose", "", List.of(r), Map.of("perm", Attr.ints(1, 0)));
        Value c = b.node("cast", "/Cast \"q\"", List.of(tr), Map.of("to", new Attr.Type(DType.F16)));
        Value m = b.node("reduce_mean", "", List.of(c), Map.of("axes", Attr.ints(), "keepdims", Attr.of(1)));
        return b.output(m).output(c).build();
    }

    /** A fused node with a body, a laid-out constant and a memory plan. */
    static Graph fusedWithPlan() {
        GraphBuilder b = new GraphBuilder("enc").symbol("S", 8);
        Value x = b.input("x", t("f32[S,4]"));
        Value w = b.constant("w", TestWeights.floats(new long[] {4, 2}, 1, -1, 2, 0.5f, 0, 3, -2, 1));
        Value bias = b.constant("b", TestWeights.floats(new long[] {2}, 0.25f, -0.5f));
        Value a = new Value("a", t("f32[S,4]"));
        Value pw = new Value("w", t("f32[4,2]"));
        Value pb = new Value("b", t("f32[2]"));
        Node mm = new Node("matmul", "", List.of(a, pw), List.of(new Value("m", t("f32[S,2]"))), Map.of());
        Node add = new Node("add", "", List.of(mm.output(), pb), List.of(new Value("s", t("f32[S,2]"))), Map.of());
        Node gelu = new Node(
                "gelu",
                "",
                List.of(add.output()),
                List.of(new Value("g", t("f32[S,2]"))),
                Map.of("approximate", Attr.of("none")));
        Value out = new Value("y", t("f32[S,2]"));
        Node fused = Node.fused(
                "matmul_bias_gelu",
                "/mlp",
                List.of(x, w, bias),
                List.of(out),
                Map.of(),
                new Region(List.of(a, pw, pb), List.of(mm, add, gelu), List.of(gelu.output())));
        b.add(fused);
        Value neg = b.node("neg", "", List.of(out), Map.of());
        Graph g = b.output(neg).build();
        Map<Value, MemoryPlan.Slot> slots = new IdentityHashMap<>();
        slots.put(x, new MemoryPlan.Slot(0, 128));
        slots.put(out, new MemoryPlan.Slot(128, 64));
        slots.put(neg, new MemoryPlan.Slot(0, 64));
        return g.withPlan(new MemoryPlan(192, 256, 192, 64, slots));
    }

    private static void assertRoundTrip(Graph g) {
        String printed = IrPrinter.print(g);
        Graph back = IrParser.parse(printed, "t.fsir", g.weights());
        assertEquals(printed, IrPrinter.print(back));
    }

    @Test
    void everyPlainElementTypeRoundTrips() {
        // Every element type but the GGUF blocks, as a cast chain: names print and parse back, and
        // the packed 4- and 2-bit types size an odd element count by rounding up to whole bytes.
        GraphBuilder b = new GraphBuilder("dtypes");
        Value v = b.input("x", t("f32[3]"));
        for (DType d : DType.values()) {
            if (!d.isQuantizedBlock()) {
                v = b.node("cast", "to_" + d.irName(), List.of(v), Map.of("to", new Attr.Type(d)));
            }
        }
        Graph g = b.output(v).build();
        assertRoundTrip(g);
        assertTrue(IrPrinter.print(g).contains("f8e4m3fnuz[3]"));
        assertEquals(2, DType.I4.bytesFor(3));
        assertEquals(1, DType.U2.bytesFor(3));
        assertEquals(3, DType.F8E5M2.bytesFor(3));
    }

    /** A past cache: sums of symbols in types and attributes print, parse back and run. */
    @Test
    void affineDimsParsePrintAndRun() {
        String text =
                """
                graph @past(%past: f32[P,2], %new: f32[S,2]) -> (%y: f32[P+S-1,2], %pos: i64[S])
                    symbols {P <= 8, S <= 4} {
                  %cat: f32[P+S,2] = concat(%past, %new) {axis = 0}
                  %y: f32[P+S-1,2] = slice(%cat) {axes = [0], ends = <P+S>, starts = <1>}
                  %bounds: i64[2] = dim_values() {values = <P, S+P>}
                  %start: i64[] = gather(%bounds, %zero) {axis = 0}
                  %limit: i64[] = gather(%bounds, %one) {axis = 0}
                  %pos: i64[S] = range(%start, %limit, %one)
                  return %y, %pos
                }
                """
                        .replace(
                                "  %bounds",
                                "  %zero: i64[] = const @\"zero\" [0]\n  %one: i64[] = const @\"one\" [1]\n  %bounds");
        Graph g = IrParser.parse(text, "past.fsir", new fsc.ir.Weights(new java.util.TreeMap<>()));
        String printed = IrPrinter.print(g);
        assertTrue(
                printed.contains("%y: f32[P+S-1,2] = slice(%cat) {axes = [0], ends = <P+S>, starts = <1>}"), printed);
        // S+P is printed in canonical order.
        assertTrue(printed.contains("dim_values() {values = <P, P+S>}"), printed);
        assertEquals(printed, IrPrinter.print(IrParser.parse(printed, "t.fsir", g.weights())));
        // Negative terms, merged as parsed, and a leading minus in a dims attribute.
        Graph neg = IrParser.parse(
                """
                graph @n(%x: f32[N,3]) -> (%y: f32[6*N-3])
                    symbols {N <= 8} {
                  %c: f32[2*N,3] = concat(%x, %x) {axis = 0}
                  %s: f32[2*N-1,3] = slice(%c) {axes = [0], ends = <-N+3*N-1>, starts = <0>}
                  %y: f32[6*N-3] = reshape(%s) {shape = <-1>}
                  return %y
                }
                """,
                "n.fsir", new fsc.ir.Weights(new java.util.TreeMap<>()));
        assertTrue(IrPrinter.print(neg).contains("ends = <2*N-1>, starts = <0>"), IrPrinter.print(neg));
        assertTrue(IrPrinter.print(neg).contains("reshape(%s) {shape = <-1>}"), IrPrinter.print(neg));
        Map<String, HostTensor> out = new Interpreter(g)
                .run(Map.of(
                        "past", HostTensor.ofFloats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6),
                        "new", HostTensor.ofFloats(new long[] {2, 2}, 7, 8, 9, 10)));
        assertEquals(
                List.of(3L, 4L),
                java.util.Arrays.stream(out.get("pos").toLongArray()).boxed().toList());
        assertEquals(
                List.of(3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f), toList(out.get("y").toFloatArray()));
    }

    /** Strided windows over symbolic sizes: floor-division dims print, parse back and run. */
    @Test
    void floorDivisionDimsParsePrintAndRun() {
        String text =
                """
                graph @win(%x: f32[1,1,H,W]) -> (%y: f32[1,1,floor((H+1)/2),floor((W)/2)])
                    symbols {H <= 64, W <= 64} {
                  %y: f32[1,1,floor((H+1)/2),floor((W)/2)] = max_pool(%x) {kernel_shape = [3, 2], pads = [1, 0, 1, 0], strides = [2, 2]}
                  return %y
                }
                """;
        Graph g = IrParser.parse(text, "win.fsir", new fsc.ir.Weights(new java.util.TreeMap<>()));
        String printed = IrPrinter.print(g);
        assertEquals(printed, IrPrinter.print(IrParser.parse(printed, "t.fsir", g.weights())));
        // The shape rule gives the same dims the text declares (the verifier re-infers them).
        fsc.ir.Verifier.verify(g);
        // 5x4 input: output ceil(5/2) x floor(4/2) = 3x2.
        float[] x = new float[20];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        HostTensor y = new Interpreter(g)
                .run(Map.of("x", HostTensor.ofFloats(new long[] {1, 1, 5, 4}, x)))
                .get("y");
        assertEquals(
                List.of(1L, 1L, 3L, 2L),
                java.util.Arrays.stream(y.shape()).boxed().toList());
        assertEquals(List.of(5f, 7f, 13f, 15f, 17f, 19f), toList(y.toFloatArray()));
        // A divisor below 2 is no floor division.
        assertThrows(
                FscException.class,
                () -> IrParser.parse(
                        text.replace("floor((H+1)/2)", "floor((H+1)/1)"),
                        "bad.fsir",
                        new fsc.ir.Weights(new java.util.TreeMap<>())));
    }

    private static List<Float> toList(float[] a) {
        List<Float> l = new java.util.ArrayList<>();
        for (float f : a) {
            l.add(f);
        }
        return l;
    }

    @Test
    void everyAttributeKindRoundTrips() {
        assertRoundTrip(everyAttributeKind());
    }

    @Test
    void fusedBodyAndPlanRoundTripAndRun() {
        Graph g = fusedWithPlan();
        String printed = IrPrinter.print(g);
        assertTrue(printed.contains("fused @matmul_bias_gelu(%x, %w, %b) loc(\"/mlp\") {"), printed);
        assertTrue(
                printed.contains("plan {arena_bytes = 192, naive_bytes = 256, peak_live_bytes = 192, alignment = 64}"),
                printed);
        assertTrue(printed.contains("%y: f32[S,2] arena[0x80 +0x40] = fused"), printed);
        Graph back = IrParser.parse(printed, "t.fsir", g.weights());
        assertEquals(printed, IrPrinter.print(back));
        assertEquals(3, back.plan().slots().size());
        // The parsed graph computes what the original does.
        HostTensor in = HostTensor.random(DType.F32, new long[] {5, 4}, new Random(1));
        var before = new Interpreter(g).run(Map.of("x", in)).values().iterator().next();
        var after =
                new Interpreter(back).run(Map.of("x", in)).values().iterator().next();
        assertEquals(0.0, before.maxAbsDiff(after));
    }

    @Test
    void layoutTagRoundTrips() {
        GraphBuilder b = new GraphBuilder("m");
        Value x = b.input("x", t("f32[3,4]"));
        Value w = b.constant("w", TestWeights.floats(new long[] {4, 2}, 1, 2, 3, 4, 5, 6, 7, 8));
        Graph plain = b.output(b.node("matmul", "", List.of(x, w), Map.of())).build();
        String text = IrPrinter.print(plain).replace("%w: f32[4,2] =", "%w: f32[4,2]{panel16} =");
        // A {panel16} constant's weight holds the packed panels (see PanelLayout).
        fsc.ir.WeightData panels = fsc.ir.PanelLayout.pack(plain.weights().get("w"), false, 16);
        Graph packed = IrParser.parse(text, "p.fsir", new fsc.ir.Weights(new java.util.TreeMap<>(Map.of("w", panels))));
        assertEquals("panel16", packed.constants().getFirst().value().type().layout());
        assertEquals(text, IrPrinter.print(packed));
    }

    @Test
    void inlineConstantsForHandWrittenTests() {
        Graph g = IrParser.parse(
                """
                graph @m(%x: f32[2]) -> (%y: f32[2]) {
                  %c: f32[2] = const @"c" [1.5, -2]
                  %r: f32[2,2] = const @"r" random(7)
                  %k: i64[3] = const @"k" [4]
                  %y: f32[2] = add(%x, %c)
                  return %y
                }
                """,
                "inline.fsir");
        assertEquals(List.of("c", "k", "r"), List.copyOf(g.weights().byName().keySet()));
        HostTensor y = new Interpreter(g)
                .run(Map.of("x", HostTensor.ofFloats(new long[] {2}, 1, 1)))
                .get("y");
        assertEquals(2.5, y.getDouble(0));
        assertEquals(-1.0, y.getDouble(1));
    }

    /**
     * Arena placements from a mutation fuzzer (docs/RELIABILITY.md): an offset of 0xffff...ff used to
     * end in "IllegalArgumentException: slot at -1"; each is now located at its token.
     */
    @Test
    void hostileArenaPlacementsAreLocated() {
        String printed = IrPrinter.print(fusedWithPlan());
        String placed = "%y: f32[S,2] arena[0x80 +0x40]";
        assertTrue(printed.contains(placed), printed);
        String text = printed.replace(placed, "%y: f32[S,2] arena[0xffffffffffffffff +0x40]");
        FscException e = assertThrows(
                FscException.class,
                () -> IrParser.parse(text, "bad.fsir", fusedWithPlan().weights()));
        assertTrue(e.getMessage().startsWith("bad.fsir:"), e.getMessage());
        assertTrue(
                e.getMessage().contains("arena offset 0xffffffffffffffff is past the largest arena"), e.getMessage());

        String tooLong = printed.replace(placed, "%y: f32[S,2] arena[0x10000000000000000 +0x40]");
        e = assertThrows(
                FscException.class,
                () -> IrParser.parse(tooLong, "bad.fsir", fusedWithPlan().weights()));
        assertTrue(e.getMessage().contains("does not fit in 64 bits"), e.getMessage());

        String wraps = printed.replace(placed, "%y: f32[S,2] arena[0x7fffffffffffffc0 +0x80]");
        e = assertThrows(
                FscException.class,
                () -> IrParser.parse(wraps, "bad.fsir", fusedWithPlan().weights()));
        assertTrue(e.getMessage().contains("overflows 63 bits"), e.getMessage());

        String past = printed.replace(placed, "%y: f32[S,2] arena[0x1000 +0x40]");
        e = assertThrows(
                FscException.class,
                () -> IrParser.parse(past, "bad.fsir", fusedWithPlan().weights()));
        assertTrue(e.getMessage().contains("lies past arena_bytes 192"), e.getMessage());
    }

    /** Inline data is materialised on the heap: a one-line file must not ask for gigabytes. */
    @Test
    void hugeInlineConstantsAreRefused() {
        String head = "graph @m(%x: f32[2]) -> (%x: f32[2]) {\n";
        assertTrue(error(head + "  %c: f32[65536,65536] = const @\"c\" random(7)\n  return %x\n}")
                .contains("has 4294967296 elements; at most 1048576 may be inline"));
        assertTrue(error(head + "  %c: f32[4294967296,4294967296] = const @\"c\" [0]\n  return %x\n}")
                .contains("overflows a 64-bit element count"));
    }

    private static String error(String text) {
        FscException e = assertThrows(FscException.class, () -> IrParser.parse(text, "bad.fsir"));
        return e.getMessage();
    }

    @Test
    void syntaxErrorsNameLineColumnAndExpectation() {
        assertEquals(
                "bad.fsir:2:23: expected ')', found '='",
                error("graph @m(%x: f32[2]) -> (%y: f32[2]) {\n  %y: f32[2] = neg(%x = \n  return %y\n}\n"));
        assertEquals("bad.fsir:1:9: expected '(', found '{'", error("graph @m{"));
        assertTrue(error("graph @m() -> () {\n  return\n").startsWith("bad.fsir:3:1: expected "));
        assertTrue(error("graph @m() -> () { $ }").startsWith("bad.fsir:1:20: unexpected text"));
    }

    @Test
    void semanticErrorsAreLocated() {
        String head = "graph @m(%x: f32[2]) -> (%y: f32[2]) {\n";
        assertEquals("bad.fsir:2:20: undefined value %z", error(head + "  %y: f32[2] = neg(%z)\n  return %y\n}"));
        assertEquals(
                "bad.fsir:2:20: %t is used before its definition (nodes out of order, or a cycle)",
                error(head + "  %y: f32[2] = neg(%t)\n  %t: f32[2] = neg(%y)\n  return %y\n}"));
        assertEquals(
                "bad.fsir:2:3: %y is declared f32[3] but neg gives f32[2]",
                error(head + "  %y: f32[3] = neg(%x)\n  return %y\n}"));
        assertEquals(
                "bad.fsir:2:16: unknown op 'frobnicate'",
                error(head + "  %y: f32[2] = frobnicate(%x)\n  return %y\n}"));
        assertEquals(
                "bad.fsir:2:3: %x is defined twice (first at 1:10)",
                error(head + "  %x: f32[2] = neg(%x)\n  return %x\n}"));
        assertEquals(
                "bad.fsir:2:23: weight \"w\" is not in the weights side file (no side file was given)",
                error(head + "  %w: f32[2] = const @\"w\"\n  return %w\n}"));
        assertTrue(error(head + "  %y: f32[2] = add(%x)\n  return %y\n}")
                .startsWith("bad.fsir:2:3: add: add takes 2 inputs, got 1"));
        assertEquals(
                "bad.fsir:3:11: symbol T has no bound (declare it in symbols {...})",
                error(head + "  %y: f32[2] = neg(%x)\n  %q: f32[T] = neg(%x)\n  return %y\n}"));
    }

    @Test
    void fusedBodiesSeeOnlyTheirParameters() {
        String text =
                """
                graph @m(%x: f32[2]) -> (%y: f32[2]) {
                  %y: f32[2] = fused @elementwise(%x) {
                    ^(%p: f32[2]):
                      %q: f32[2] = add(%p, %x)
                      yield %q
                  }
                  return %y
                }
                """;
        assertEquals("bad.fsir:4:28: %x is not visible here (a region sees only its parameters)", error(text));
        String ok = text.replace("add(%p, %x)", "add(%p, %p)");
        Graph g = IrParser.parse(ok, "ok.fsir");
        assertSame(
                g.nodes().getFirst().body().params().getFirst(),
                g.nodes().getFirst().body().nodes().getFirst().input(0));
        assertEquals(ok, IrPrinter.print(g).replaceFirst("// fsc IR\n", ""));
    }
}
