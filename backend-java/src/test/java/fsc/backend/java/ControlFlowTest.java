package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.interp.HostTensor;
import fsc.ir.text.IrParser;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.Pipelines;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * If, loop and scan compiled by the Java backend (each region a class of its own) against the
 * interpreter, after the default pipeline has run inside the regions: a loop body with an
 * operand-form reshape whose target is a captured constant (fold must resolve it inside the region),
 * a loop-carried swap (double buffering), a branch that yields a parameter, scans along axes 0 and 1
 * in both directions, and a scan nested in a loop.
 */
class ControlFlowTest {
    @TempDir
    Path dir;

    static final String TEXT =
            """
            graph @cf(%x: f32[3,2], %a0: f32[2], %flag: bool[]) -> (%fa: f32[2], %fb: f32[2], %rows: f32[4,2], %picked: f32[2], %acc: f32[2], %ys: f32[3,2], %colsum: f32[3], %cols: f32[3,2], %nested: f32[3]) {
              %trips: i64[] = const @"trips" [4]
              %yes: bool[] = const @"yes" [1]
              %k: f32[] = const @"k" [0.5]
              %z3: f32[3] = const @"z3" [0.0]
              %shape: i64[1] = const @"shape" [2]
              %fa: f32[2], %fb: f32[2], %rows: f32[4,2] = loop(%trips, %yes, %a0, %a0, %k, %shape) {num_carried = 2, scan_length = 4} {
                ^(%i: i64[], %c: bool[], %a: f32[2], %b: f32[2], %kk: f32[], %sh: i64[1]):
                  %s: f32[2] = add(%a, %b)
                  %s2: f32[2] = mul(%s, %kk)
                  %s3: f32[2] = reshape(%s2, %sh)
                  yield %c, %b, %s3, %a
              }
              %picked: f32[2] = if(%flag, %fa, %fb) {
                ^(%p: f32[2], %q: f32[2]):
                  %n: f32[2] = neg(%p)
                  yield %n
              } {
                ^(%p2: f32[2], %q2: f32[2]):
                  yield %q2
              }
              %acc: f32[2], %ys: f32[3,2] = scan(%a0, %x) {num_scan_inputs = 1, num_states = 1, scan_input_axes = [0], scan_input_directions = [1], scan_output_axes = [0], scan_output_directions = [0]} {
                ^(%st: f32[2], %xt: f32[2]):
                  %nst: f32[2] = add(%st, %xt)
                  yield %nst, %nst
              }
              %colsum: f32[3], %cols: f32[3,2] = scan(%z3, %x) {num_scan_inputs = 1, num_states = 1, scan_input_axes = [1], scan_input_directions = [0], scan_output_axes = [1], scan_output_directions = [1]} {
                ^(%cs: f32[3], %xc: f32[3]):
                  %ncs: f32[3] = add(%cs, %xc)
                  yield %ncs, %xc
              }
              %nested: f32[3] = loop(%trips, %yes, %z3, %x) {num_carried = 1} {
                ^(%j: i64[], %c2: bool[], %tot: f32[3], %xx: f32[3,2]):
                  %inner: f32[3], %unused: f32[3,2] = scan(%tot, %xx) {num_scan_inputs = 1, num_states = 1, scan_input_axes = [1], scan_input_directions = [0], scan_output_axes = [1], scan_output_directions = [0]} {
                    ^(%t2: f32[3], %col: f32[3]):
                      %t3: f32[3] = add(%t2, %col)
                      yield %t3, %col
                  }
                  yield %c2, %inner
              }
              return %fa, %fb, %rows, %picked, %acc, %ys, %colsum, %cols, %nested
            }
            """;

    private static Map<String, HostTensor> inputs(boolean flag) {
        return Map.of(
                "x", HostTensor.ofFloats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6),
                "a0", HostTensor.ofFloats(new long[] {2}, 1, 10),
                "flag", HostTensor.ofInts(DType.BOOL, new long[0], flag ? 1 : 0));
    }

    @Test
    void compiledRegionsMatchTheInterpreter() throws Exception {
        Graph g = IrParser.parse(TEXT, "cf.fsir");
        Graph opt = PassManager.builder()
                .build()
                .run(g, Pipelines.cpuDefault(JavaBackend::hasKernel, JavaBackend.fusionRules()), PassContext.defaults())
                .graph();
        String printed = fsc.ir.text.IrPrinter.print(opt);
        // fold ran inside the loop body: the reshape took its target from the captured constant.
        assertTrue(printed.contains("reshape(%s2) {shape = <2>}"), printed);
        List<String> sources = JavaBackend.sources(opt, JavaBackendOptions.forModel("cf"));
        assertTrue(sources.stream().anyMatch(s -> s.contains("class CfModel_n0_loop_r0")), "a class per region");
        try (ModelHarness h = ModelHarness.compile(opt, dir, 1)) {
            h.assertMatchesInterpreter(inputs(true), 0);
            h.assertMatchesInterpreter(inputs(false), 0);
            h.assertMatchesInterpreter(inputs(true), 0);
        }
    }

    /** Branches, loops and scans reuse the buffers allocated at construction: steady calls allocate nothing. */
    @Test
    void steadyStateCallsAllocateNothing() throws Exception {
        Graph g = IrParser.parse(TEXT, "cf.fsir");
        Graph opt = PassManager.builder()
                .build()
                .run(g, Pipelines.cpuDefault(JavaBackend::hasKernel, JavaBackend.fusionRules()), PassContext.defaults())
                .graph();
        try (ModelHarness h = ModelHarness.compile(opt, dir, 1)) {
            Map<String, fsc.runtime.Tensor> in = new java.util.LinkedHashMap<>();
            inputs(true).forEach((k, v) -> in.put(k, ModelHarness.toTensor(v)));
            SteadyAllocation.assertSteady("control flow", h, in, 1, dir);
        }
    }
}
