package fsc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.text.IrParser;
import org.junit.jupiter.api.Test;

/** String tensors live on the Java heap: the CUDA backend refuses them in one line, before code generation. */
class CudaStringsTest {
    @Test
    void stringTensorsAreRefusedInOneLine() {
        Graph g = IrParser.parse(
                """
                graph @s(%x: string[2], %y: string[2]) -> (%eq: bool[2]) {
                  %eq: bool[2] = string_equal(%x, %y)
                  return %eq
                }
                """,
                "s.fsir");
        FscException e = assertThrows(FscException.class, () -> CudaKernelSupport.check(g));
        assertTrue(e.getMessage().contains("the CUDA backend does not run string tensors"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}
