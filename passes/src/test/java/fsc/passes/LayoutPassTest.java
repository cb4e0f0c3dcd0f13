package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Verifier;
import fsc.ir.WeightData;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LayoutPassTest {

    private static final String LINEAR =
            """
            graph @linear(%x: f32[2,3]) -> (%y: f32[2,5]) {
              %w: f32[5,3] = const @"w" [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
              %y: f32[2,5] = gemm(%x, %w) {trans_b = 1}
              return %y
            }
            """;

    private static Graph run(Graph g, String panel, List<Diagnostic> notes) {
        return new LayoutPass().run(g, PassContext.of(Map.of("layout.panel", panel), notes::add));
    }

    @Test
    void packsTransposedGemmWeightIntoPinnedPanels() {
        Graph in = IrParser.parse(LINEAR, "linear.fsir");
        List<Diagnostic> notes = new ArrayList<>();
        Graph out = run(in, "4", notes);
        Verifier.verify(out);
        String text = IrPrinter.print(out);
        assertTrue(text.contains("%w_t_panel4: f32[3,5]{panel4} = const @\"w.t.panel4\""), text);
        assertTrue(text.contains("%y: f32[2,5] = gemm(%x, %w_t_panel4) {trans_b = 0}"), text);
        // B = w^T is [3,5]: panel 0 holds columns 0-3 row by row, panel 1 column 4 and zeros.
        WeightData w = out.weights().get("w.t.panel4");
        assertEquals(List.of(2L, 3L, 4L), w.dims());
        ByteBuffer b = w.view();
        float[] got = new float[24];
        for (int i = 0; i < got.length; i++) {
            got[i] = b.getFloat(i * 4);
        }
        assertArrayEquals(
                new float[] {1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12, 13, 0, 0, 0, 14, 0, 0, 0, 15, 0, 0, 0}, got);
        assertEquals(List.of("w.t.panel4"), List.copyOf(out.weights().byName().keySet()));
        assertEquals(
                "packed 1 GEMM weights into panel4 (60 bytes row-major, 96 bytes packed)",
                notes.getFirst().message());
    }

    @Test
    void interpreterRunsThePackedGraphLikeTheOriginal() {
        Graph in = IrParser.parse(LINEAR, "linear.fsir");
        for (String panel : List.of("1", "4", "16")) {
            Graph out = run(in, panel, new ArrayList<>());
            HostTensor x = HostTensor.random(fsc.ir.DType.F32, new long[] {2, 3}, new Random(7));
            HostTensor before =
                    new Interpreter(in).run(Map.of("x", x)).values().iterator().next();
            HostTensor after =
                    new Interpreter(out).run(Map.of("x", x)).values().iterator().next();
            assertEquals(0.0, before.maxAbsDiff(after), "panel " + panel);
        }
    }

    @Test
    void packedDumpReadsBackWithItsWeights() {
        Graph out = run(IrParser.parse(LINEAR, "linear.fsir"), "4", new ArrayList<>());
        String text = IrPrinter.print(out);
        assertEquals(text, IrPrinter.print(IrParser.parse(text, "dump.fsir", out.weights())));
    }

    @Test
    void rejectsANonsensePanelWidth() {
        Graph in = IrParser.parse(LINEAR, "linear.fsir");
        FscException e = assertThrows(FscException.class, () -> run(in, "0", new ArrayList<>()));
        assertEquals("pass option layout.panel=0 must be a panel width in 1..1024", e.getMessage());
    }
}
