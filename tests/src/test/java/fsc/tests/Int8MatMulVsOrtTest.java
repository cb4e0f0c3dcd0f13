package fsc.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
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
                .addInput(value("x", Onnx.TensorProto.DataType.FLOAT_VALUE, M, K))
                .addOutput(value("y", Onnx.TensorProto.DataType.FLOAT_VALUE, M, N))
                .addInitializer(tensor("w", Onnx.TensorProto.DataType.UINT8_VALUE, List.of((long) K, (long) N), w))
                .addInitializer(tensor("w_zp", Onnx.TensorProto.DataType.UINT8_VALUE, List.of((long) N), wzp))
                .addInitializer(floats("w_scale", List.of((long) N), ws));
        if (qlinear) {
            g.addInitializer(floats("x_scale", List.of(), 0.03f))
                    .addInitializer(
                            tensor("x_zp", Onnx.TensorProto.DataType.UINT8_VALUE, List.of(), new byte[] {(byte) 120}))
                    .addInitializer(floats("y_scale", List.of(), 0.05f))
                    .addInitializer(
                            tensor("y_zp", Onnx.TensorProto.DataType.UINT8_VALUE, List.of(), new byte[] {(byte) 128}))
                    .addNode(node("QuantizeLinear", List.of("x", "x_scale", "x_zp"), List.of("xq")))
                    .addNode(node(
                            "QLinearMatMul",
                            List.of("xq", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp"),
                            List.of("yq")))
                    .addNode(node("DequantizeLinear", List.of("yq", "y_scale", "y_zp"), List.of("y")));
        } else {
            g.addInitializer(floats("bias", List.of((long) N), bias))
                    .addNode(node("DynamicQuantizeLinear", List.of("x"), List.of("xq", "x_scale", "x_zp")))
                    .addNode(node("MatMulInteger", List.of("xq", "w", "x_zp", "w_zp"), List.of("acc")))
                    .addNode(node("Cast", List.of("acc"), List.of("acc_f")).toBuilder()
                            .addAttribute(Onnx.AttributeProto.newBuilder()
                                    .setName("to")
                                    .setType(Onnx.AttributeProto.AttributeType.INT)
                                    .setI(1))
                            .build())
                    .addNode(node("Mul", List.of("x_scale", "w_scale"), List.of("scales")))
                    .addNode(node("Mul", List.of("acc_f", "scales"), List.of("scaled")))
                    .addNode(node("Add", List.of("scaled", "bias"), List.of("y")));
        }
        Onnx.ModelProto m = Onnx.ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(
                        Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(g)
                .build();
        Path p = dir.resolve((qlinear ? "qlinear" : "integer") + ".onnx");
        Files.write(p, m.toByteArray());
        return p;
    }

    private static Onnx.ValueInfoProto value(String name, int type, long... dims) {
        Onnx.TensorShapeProto.Builder s = Onnx.TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return Onnx.ValueInfoProto.newBuilder()
                .setName(name)
                .setType(Onnx.TypeProto.newBuilder()
                        .setTensorType(Onnx.TypeProto.Tensor.newBuilder()
                                .setElemType(type)
                                .setShape(s)))
                .build();
    }

    private static Onnx.NodeProto node(String op, List<String> in, List<String> out) {
        return Onnx.NodeProto.newBuilder()
                .setOpType(op)
                .setName(op + "_" + out.getFirst())
                .addAllInput(in)
                .addAllOutput(out)
                .build();
    }

    private static Onnx.TensorProto tensor(String name, int type, List<Long> dims, byte[] raw) {
        return Onnx.TensorProto.newBuilder()
                .setName(name)
                .setDataType(type)
                .addAllDims(dims)
                .setRawData(ByteString.copyFrom(raw))
                .build();
    }

    private static Onnx.TensorProto floats(String name, List<Long> dims, float... v) {
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder()
                .setName(name)
                .setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                .addAllDims(dims);
        for (float f : v) {
            t.addFloatData(f);
        }
        return t.build();
    }
}
