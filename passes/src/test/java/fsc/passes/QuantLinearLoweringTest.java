package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Graph;
import fsc.ir.Verifier;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The {@code quantize} pass's lowering of ONNX's quantization ops computes, in the reference
 * interpreter, exactly the bits of the ops themselves: per tensor, per axis (not the last), blocked,
 * a 16-bit scale, 4-bit targets, per-row and per-column zero points, batched integer matmuls,
 * integer convolutions with per-channel weight zero points and scales and a bias. The
 * interpreter's kernels for the ops are written independently of the lowering, so each checks the
 * other. (The node suite checks both against ONNX's expected outputs; {@code onnx-ops.fsir} is the
 * lowering's golden text.)
 */
class QuantLinearLoweringTest {
    static final String GRAPH =
            """
            graph @qdq(%x: f32[4,6], %q: i8[4,6], %a: u8[2,3,4], %b: i8[4,5], %img: u8[1,2,5,5]) -> (%xq: u8[4,6], %xb: u4[4,6], %xa: i8[4,6], %dq: f32[4,6], %dh: f16[4,6], %db: f32[4,6], %mm: i32[2,3,5], %mz: i32[2,3,5], %y: i8[2,3,5], %dy: u8[4,6], %ds: f32[], %dz: u8[], %ci: i32[1,3,3,3], %qc: u8[1,3,5,5]) {
              %s: f32[] = const @"s" [0.02]
              %uz: u8[] = const @"uz" [128]
              %rs: f32[4] = const @"rs" [0.01, 0.02, 0.03, 0.04]
              %rz: i8[4] = const @"rz" [-3, 0, 5, 100]
              %bs: f32[4,2] = const @"bs" [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]
              %hs: f16[] = const @"hs" [0.125]
              %az: u8[] = const @"az" [7]
              %cs: f32[5] = const @"cs" [0.1, 0.2, 0.3, 0.4, 0.5]
              %cz: i8[5] = const @"cz" [0, 1, -1, 2, -2]
              %ys: f32[] = const @"ys" [0.75]
              %yz: i8[] = const @"yz" [-4]
              %k: i8[3,2,3,3] = const @"k" [1, -2, 3, -4, 5, -6, 7, -8, 9, 10, -11, 12, -13, 14, -15, 16, -17, 18, 19, -20, 21, -22, 23, -24, 25, -26, 27, 28, -29, 30, -31, 32, -33, 34, -35, 36, 37, -38, 39, -40, 41, -42, 43, -44, 45, 46, -47, 48, -49, 50, -51, 52, -53, 54]
              %kz: i8[3] = const @"kz" [0, 1, -1]
              %ks: f32[3] = const @"ks" [0.01, 0.002, 0.03]
              %kb: i32[3] = const @"kb" [100, -200, 300]
              %oz: u8[] = const @"oz" [100]
              %xq: u8[4,6] = quantize_linear(%x, %s, %uz) {to = u8}
              %xb: u4[4,6] = quantize_linear(%x, %bs) {axis = 1, block_size = 3, to = u4}
              %xa: i8[4,6] = quantize_linear(%x, %rs, %rz) {axis = 0, to = i8}
              %dq: f32[4,6] = dequantize_linear(%q, %rs, %rz) {axis = 0}
              %dh: f16[4,6] = dequantize_linear(%q, %hs)
              %db: f32[4,6] = dequantize_linear(%q, %bs) {axis = 1, block_size = 3}
              %mm: i32[2,3,5] = matmul_integer(%a, %b)
              %mz: i32[2,3,5] = matmul_integer(%a, %b, %az, %cz)
              %y: i8[2,3,5] = qlinear_matmul(%a, %s, %az, %b, %cs, %cz, %ys, %yz)
              %dy: u8[4,6], %ds: f32[], %dz: u8[] = dynamic_quantize_linear(%x)
              %ci: i32[1,3,3,3] = conv_integer(%img, %k, %az) {kernel_shape = [3, 3]}
              %qc: u8[1,3,5,5] = qlinear_conv(%img, %s, %az, %k, %ks, %kz, %ys, %oz, %kb) {pads = [1, 1, 1, 1]}
              return %xq, %xb, %xa, %dq, %dh, %db, %mm, %mz, %y, %dy, %ds, %dz, %ci, %qc
            }
            """;

    @Test
    void loweringGivesTheOpsOwnBits() {
        Graph g = IrParser.parse(GRAPH, "qdq.fsir");
        Graph lowered = QuantizePass.lowering(true).run(g, PassContext.defaults());
        Verifier.verify(lowered);
        assertTrue(
                lowered.nodes().stream().noneMatch(n -> QuantLinearLowering.OPS.contains(n.op())),
                IrPrinter.print(lowered));
        for (long seed = 1; seed <= 3; seed++) {
            Map<String, HostTensor> in = Equivalence.randomInputs(g, Map.of(), Map.of(), seed);
            Map<String, HostTensor> expected = new Interpreter(g).run(in);
            Map<String, HostTensor> actual = new Interpreter(lowered).run(in);
            for (String out : expected.keySet()) {
                assertEquals(expected.get(out).data(), actual.get(out).data(), out + " (seed " + seed + ")");
            }
        }
    }

    /**
     * A static QDQ linear layer ends on the int8 kernel after the default pipeline, and computes what
     * the op-by-op graph does up to f32 rounding (exact integer sums instead of f32 ones).
     */
    @Test
    void staticQdqMatMulRunsOnTheInt8Kernel() {
        Graph g = IrParser.parse(
                """
                graph @qdq(%x: f32[2,3,8]) -> (%y: f32[2,3,4]) {
                  %sx: f32[] = const @"sx" [0.02]
                  %zx: u8[] = const @"zx" [120]
                  %w: i8[8,4] = const @"w" [1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -16, 17, -18, 19, -20, 21, -22, 23, -24, 25, -26, 27, -28, 29, -30, 127, -128]
                  %sw: f32[4] = const @"sw" [0.01, 0.02, 0.03, 0.04]
                  %q: u8[2,3,8] = quantize_linear(%x, %sx, %zx) {to = u8}
                  %xd: f32[2,3,8] = dequantize_linear(%q, %sx, %zx)
                  %wd: f32[8,4] = dequantize_linear(%w, %sw) {axis = 1}
                  %y: f32[2,3,4] = matmul(%xd, %wd)
                  return %y
                }
                """,
                "qdq.fsir");
        Graph compiled = PassManager.builder()
                .build()
                .run(g, Pipelines.cpuDefault(), PassContext.defaults())
                .graph();
        List<String> ops = compiled.nodes().stream().map(fsc.ir.Node::op).toList();
        assertTrue(ops.contains("matmul_int8") && !ops.contains("matmul"), ops.toString());
        Equivalence.assertSameOutputs(g, compiled, Map.of());
        // Without the int8 form (the CUDA pipeline's), the layer stays an f32 matmul of dequantized values.
        Graph f32 = QuantizePass.lowering(false).run(g, PassContext.defaults());
        assertTrue(
                f32.nodes().stream()
                        .anyMatch(n -> n.op().equals("matmul") && n.input(1).dtype() == fsc.ir.DType.F32),
                IrPrinter.print(f32));
    }

    @Test
    void opsPrintAndParseBack() {
        Graph g = IrParser.parse(GRAPH, "qdq.fsir");
        String printed = IrPrinter.print(g);
        assertEquals(printed, IrPrinter.print(IrParser.parse(printed, "again.fsir", g.weights())));
        assertTrue(printed.contains("quantize_linear(%x, %bs) {axis = 1, block_size = 3, to = u4}"), printed);
    }

    @Test
    void kernelsFollowOnnx() {
        // ONNX's own example (QuantizeLinear, DequantizeLinear docs): saturating, rounding half to even.
        Graph g = IrParser.parse(
                """
                graph @t(%x: f32[6]) -> (%q: u8[6], %d: f32[6]) {
                  %s: f32[] = const @"s" [2.0]
                  %z: u8[] = const @"z" [128]
                  %q: u8[6] = quantize_linear(%x, %s, %z) {to = u8}
                  %d: f32[6] = dequantize_linear(%q, %s, %z)
                  return %q, %d
                }
                """,
                "t.fsir");
        Map<String, HostTensor> out =
                new Interpreter(g).run(Map.of("x", HostTensor.ofFloats(new long[] {6}, 0, 2, 3, 1000, -254, -1000)));
        assertEquals(List.of(128L, 129L, 130L, 255L, 1L, 0L), longs(out.get("q")));
        assertEquals(List.of(0.0, 2.0, 4.0, 254.0, -254.0, -256.0), doubles(out.get("d")));
        Graph lowered = QuantizePass.lowering(true).run(g, PassContext.defaults());
        assertSame(lowered, QuantizePass.lowering(true).run(lowered, PassContext.defaults()), "nothing left to lower");
    }

    private static List<Long> longs(HostTensor t) {
        return java.util.Arrays.stream(t.toLongArray()).boxed().toList();
    }

    private static List<Double> doubles(HostTensor t) {
        List<Double> out = new java.util.ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            out.add(t.getDouble(i));
        }
        return out;
    }
}
