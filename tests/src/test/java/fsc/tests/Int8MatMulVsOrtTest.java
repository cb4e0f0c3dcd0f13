package fsc.tests;

import static fsc.tests.OnnxProtos.floats;
import static fsc.tests.OnnxProtos.node;
import static fsc.tests.OnnxProtos.raw;
import static fsc.tests.OnnxProtos.typed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.frontend.onnx.proto.Onnx;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QLinearMatMul and MatMulInteger with constant u8 weights and per-column weight zero points, compiled
 * by fsc (the {@code quant-gemm} pass puts both on the int8 kernel, the weights shifted into s8 with
 * column offsets) against ONNX Runtime. MatMulInteger's int32 result is exact, so its rescaled output
 * must equal ORT's to f32 rounding; QLinearMatMul requantizes to u8, where an accumulator on a rounding
 * boundary may land one step apart when ORT multiplies by the scales in another order.
 */
class Int8MatMulVsOrtTest {
    private static final int M = 13;
    private static final int K = 70;
    private static final int N = 37;

    @TempDir
    Path dir;

    @Test
    void qlinearMatMulMatchesOnnxRuntime() throws Exception {
        float[] got = runBoth(model(true), "y");
        float[] want = ort(model(true), "y");
        int off = 0;
        for (int i = 0; i < want.length; i++) {
            double steps = Math.abs(got[i] - want[i]) / 0.05; // y_scale
            assertTrue(steps <= 1.0001, "element " + i + ": fsc " + got[i] + " vs ORT " + want[i]);
            off += steps > 0.5 ? 1 : 0;
        }
        assertTrue(off <= want.length / 50, off + " of " + want.length + " elements one step off");
    }

    @Test
    void matMulIntegerMatchesOnnxRuntime() throws Exception {
        float[] got = runBoth(model(false), "y");
        float[] want = ort(model(false), "y");
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], Math.abs(want[i]) * 1e-6, "element " + i);
        }
    }

    private float[] runBoth(Path model, String out) throws Exception {
        Path jar = dir.resolve(model.getFileName() + ".jar");
        Path ir = dir.resolve(model.getFileName() + ".ir");
        assertEquals(
                0,
                Main.execute("compile", model.toString(), "-o", jar.toString(), "--dump-ir", ir.toString(), "--quiet"));
        String last;
        try (var files = Files.list(ir)) {
            last = Files.readString(files.filter(p -> p.toString().endsWith(".fsir"))
                    .sorted()
                    .reduce((a, b) -> b)
                    .orElseThrow());
        }
        assertTrue(last.contains("= matmul_int8("), "lowered onto matmul_int8:\n" + last);
        try (CompiledModel m = ArtifactLoader.open(jar, 1)) {
            return m.run(Map.of("x", input())).get(out).toFloatArray();
        }
    }

    private float[] ort(Path model, String out) throws Exception {
        try (OrtOracle o = new OrtOracle(model, 1)) {
            return o.run(Map.of("x", input())).get(out);
        }
    }

    private static Tensor input() {
        Random r = new Random(3);
        float[] x = new float[M * K];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 1.5);
        }
        return Tensor.ofFloats(new long[] {M, K}, x);
    }

    /**
     * x f32[M,K] → QuantizeLinear (or DynamicQuantizeLinear) → QLinearMatMul (or MatMulInteger then
     * Cast, Mul by the scales, Add a bias) with u8 W[K,N] and per-column zero points → y f32.
     */
    private Path model(boolean qlinear) throws Exception {
        Random r = new Random(11);
        byte[] w = new byte[K * N];
        r.nextBytes(w);
        byte[] wzp = new byte[N];
        float[] ws = new float[N];
        float[] bias = new float[N];
        for (int j = 0; j < N; j++) {
            wzp[j] = (byte) (100 + r.nextInt(56));
            ws[j] = 0.002f + r.nextFloat() * 0.002f;
            bias[j] = r.nextFloat() - 0.5f;
        }
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder()
                .setName("g")
                .addInput(typed("x", Onnx.TensorProto.DataType.FLOAT_VALUE, M, K))
                .addOutput(typed("y", Onnx.TensorProto.DataType.FLOAT_VALUE, M, N))
                .addInitializer(raw("w", Onnx.TensorProto.DataType.UINT8_VALUE, new long[] {K, N}, w))
                .addInitializer(raw("w_zp", Onnx.TensorProto.DataType.UINT8_VALUE, new long[] {N}, wzp))
                .addInitializer(floats("w_scale", new long[] {N}, ws));
        if (qlinear) {
            g.addInitializer(floats("x_scale", new long[0], 0.03f))
                    .addInitializer(
                            raw("x_zp", Onnx.TensorProto.DataType.UINT8_VALUE, new long[0], new byte[] {(byte) 120}))
                    .addInitializer(floats("y_scale", new long[0], 0.05f))
                    .addInitializer(
                            raw("y_zp", Onnx.TensorProto.DataType.UINT8_VALUE, new long[0], new byte[] {(byte) 128}))
                    .addNode(node("QuantizeLinear", List.of("x", "x_scale", "x_zp"), "xq"))
                    .addNode(node(
                            "QLinearMatMul",
                            List.of("xq", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp"),
                            "yq"))
                    .addNode(node("DequantizeLinear", List.of("yq", "y_scale", "y_zp"), "y"));
        } else {
            g.addInitializer(floats("bias", new long[] {N}, bias))
                    .addNode(node("DynamicQuantizeLinear", List.of("x"), "xq", "x_scale", "x_zp"))
                    .addNode(node("MatMulInteger", List.of("xq", "w", "x_zp", "w_zp"), "acc"))
                    .addNode(node("Cast", List.of("acc"), "acc_f")
                            .addAttribute(Onnx.AttributeProto.newBuilder()
                                    .setName("to")
                                    .setType(Onnx.AttributeProto.AttributeType.INT)
                                    .setI(1))
                            .build())
                    .addNode(node("Mul", List.of("x_scale", "w_scale"), "scales"))
                    .addNode(node("Mul", List.of("acc_f", "scales"), "scaled"))
                    .addNode(node("Add", List.of("scaled", "bias"), "y"));
        }
        Onnx.ModelProto m = OnnxProtos.model(g, 8, 13);
        Path p = dir.resolve((qlinear ? "qlinear" : "integer") + ".onnx");
        Files.write(p, m.toByteArray());
        return p;
    }
}
