package fsc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import org.junit.jupiter.api.Test;

/** Ops that size an output at run time are refused in one line (the .fsir text carries their extent). */
class CudaExtentOpsTest {
    private static final String TEXT =
            """
            graph @nz(%x: f32[3,4]) -> (%y: i64[2,n_y])
                symbols {n_y <= 12} {
              %y: i64[2,n_y] = nonzero(%x) {extent = "n_y"}
              return %y
            }
            """;

    @Test
    void nonzeroIsRefusedInOneLine() {
        Graph g = IrParser.parse(TEXT, "nz.fsir");
        FscException e = assertThrows(FscException.class, () -> CudaKernelSupport.check(g));
        assertTrue(e.getMessage().contains("output size depends on the data (nonzero)"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void extentSymbolsRoundTripThroughText() {
        Graph g = IrParser.parse(TEXT, "nz.fsir");
        assertEquals(12L, g.symbols().get("n_y"));
        Graph again = IrParser.parse(IrPrinter.print(g), "again.fsir");
        assertEquals(g.symbols(), again.symbols());
        assertEquals("n_y", again.nodes().getFirst().strAttr("extent"));
    }
}
