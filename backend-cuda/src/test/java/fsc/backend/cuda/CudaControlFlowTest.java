package fsc.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.text.IrParser;
import org.junit.jupiter.api.Test;

/** The CUDA backend refuses region-owning nodes and sequence/optional values in one line, before any code generation. */
class CudaControlFlowTest {
    @Test
    void controlFlowIsRefusedInOneLine() {
        Graph g = IrParser.parse(
                """
                graph @cf(%x: f32[2], %flag: bool[]) -> (%y: f32[2]) {
                  %y: f32[2] = if(%flag, %x) {
                    ^(%p: f32[2]):
                      %n: f32[2] = neg(%p)
                      yield %n
                  } {
                    ^(%q: f32[2]):
                      yield %q
                  }
                  return %y
                }
                """,
                "cf.fsir");
        FscException e = assertThrows(FscException.class, () -> CudaKernelSupport.check(g));
        assertTrue(e.getMessage().contains("does not run control flow (if with regions)"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void sequencesAreRefusedInOneLineBeforePlanning() {
        Graph g = IrParser.parse(
                """
                graph @seqs(%s: seq<f32>, %x: f32[2]) -> (%n: i64[]) {
                  %t: seq<f32> = sequence_insert(%s, %x)
                  %n: i64[] = sequence_length(%t)
                  return %n
                }
                """,
                "seqs.fsir");
        FscException e = assertThrows(FscException.class, () -> CudaBackend.module(g, "test"));
        assertTrue(e.getMessage().contains("does not run sequence or optional values"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}
