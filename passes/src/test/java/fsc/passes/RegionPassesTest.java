package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** fold, cse and dce around and inside control-flow regions ({@link RegionPasses}). */
class RegionPassesTest {
    static final String TEXT =
            """
            graph @r(%x: f32[2], %flag: bool[]) -> (%o1: f32[2], %o2: f32[2]) {
              %shape: i64[1] = const @"shape" [2]
              %w: f32[2] = neg(%x)
              %o1: f32[2] = if(%flag, %w, %shape) {
                ^(%p: f32[2], %sh: i64[1]):
                  %a: f32[2] = abs(%p)
                  %b: f32[2] = abs(%p)
                  %s: f32[2] = add(%a, %b)
                  %dead: f32[2] = exp(%p)
                  %r: f32[2] = reshape(%s, %sh)
                  yield %r
              } {
                ^(%p2: f32[2], %sh2: i64[1]):
                  yield %p2
              }
              %o2: f32[2] = if(%flag, %w, %shape) {
                ^(%p3: f32[2], %sh3: i64[1]):
                  %n: f32[2] = neg(%p3)
                  yield %n
              } {
                ^(%p4: f32[2], %sh4: i64[1]):
                  yield %p4
              }
              return %o1, %o2
            }
            """;

    @Test
    void passesRecurseIntoRegionsAndKeepTheirBoundaries() {
        Graph g = IrParser.parse(TEXT, "r.fsir");
        Graph out = PassManager.builder()
                .build()
                .run(g, List.of(new FoldPass(), new CsePass(), new DcePass()), PassContext.defaults())
                .graph();
        String printed = IrPrinter.print(out);
        // dce kept %w (only the regions read it); cse kept both ifs (equal operands, other regions).
        assertTrue(printed.contains("= neg(%x)"), printed);
        assertEquals(2, out.nodes().stream().filter(n -> n.op().equals("if")).count(), printed);
        Node first = out.nodes().stream()
                .filter(n -> n.op().equals("if"))
                .findFirst()
                .orElseThrow();
        List<String> inner =
                first.regions().getFirst().nodes().stream().map(Node::op).toList();
        // Inside: cse merged the two abs, dce dropped the unused exp, fold put the reshape in attribute form.
        assertEquals(List.of("abs", "add", "reshape"), inner, printed);
        assertFalse(printed.contains("exp("), printed);
        assertTrue(printed.contains("{shape = <2>}"), printed);
        for (boolean flag : new boolean[] {true, false}) {
            Map<String, HostTensor> in = Map.of(
                    "x", HostTensor.ofFloats(new long[] {2}, 1.5f, -3f),
                    "flag", HostTensor.ofInts(DType.BOOL, new long[0], flag ? 1 : 0));
            Map<String, HostTensor> before = new Interpreter(g).run(in);
            Map<String, HostTensor> after = new Interpreter(out).run(in);
            for (String k : before.keySet()) {
                assertEquals(0, before.get(k).maxAbsDiff(after.get(k)), k);
            }
        }
    }
}
