package fsc.tests.fuzz;

import com.google.protobuf.ByteString;
import fsc.cli.Main;
import fsc.frontend.gguf.GgmlType;
import fsc.frontend.onnx.proto.Onnx;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import fsc.runtime.io.OnnxTensorFile;
import fsc.tests.llm.SyntheticLlama;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The valid files every mutant starts from, built (never downloaded) into one folder: a small ONNX
 * MLP with its weights inline and a twin with them in an external file, a synthetic LLaMA GGUF, the
 * MLP's {@code .fsir} dumps with their {@code weights.fsw}, an input as {@code .npy} and as a
 * TensorProto {@code .pb}, and the MLP compiled to a jar (what {@code fsc run} mutants feed).
 */
record SeedFiles(
        Path dir,
        Path onnx,
        Path onnxExternal,
        Path gguf,
        List<Path> fsir,
        Path weightsFsw,
        Path npy,
        Path pb,
        Path jar) {

    static final String INPUT = "x";

    static SeedFiles build(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path onnx = dir.resolve("mlp.onnx");
        Files.write(onnx, mlp(false).toByteArray());
        Path extDir = Files.createDirectories(dir.resolve("ext"));
        Path onnxExternal = extDir.resolve("mlp-ext.onnx");
        Files.write(onnxExternal, mlp(true).toByteArray());
        Files.write(extDir.resolve("mlp.weights"), weightBytes());
        Path gguf = dir.resolve("tiny-llama.gguf");
        new SyntheticLlama(32, 1, 2, 1, 64, 96, 7).write(gguf, name -> GgmlType.Q8_0);
        Path jar = dir.resolve("mlp.jar");
        Path irDir = dir.resolve("ir");
        cli("compile", onnx.toString(), "-q", "-o", jar.toString(), "--dump-ir", irDir.toString());
        List<Path> fsir;
        try (Stream<Path> s = Files.list(irDir)) {
            fsir = s.filter(p -> p.toString().endsWith(".fsir")).sorted().toList();
        }
        Path npy = dir.resolve("x.npy");
        float[] xs = new float[8];
        for (int i = 0; i < 8; i++) {
            xs[i] = i * 0.25f - 1;
        }
        Tensor x = Tensor.ofFloats(new long[] {2, 4}, xs);
        Npy.write(npy, x);
        Path pb = dir.resolve("x.pb");
        OnnxTensorFile.write(pb, x, INPUT);
        return new SeedFiles(dir, onnx, onnxExternal, gguf, fsir, irDir.resolve("weights.fsw"), npy, pb, jar);
    }

    private static void cli(String... args) {
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args);
        if (code != 0) {
            throw new IllegalStateException("seed step 'fsc " + String.join(" ", args) + "' failed: " + err);
        }
    }

    /** x[2,4] -> MatMul(w1[4,8]) -> Add(b1) -> Relu -> MatMul(w2[8,3]) -> y[2,3]. */
    static Onnx.ModelProto mlp(boolean external) {
        byte[] all = weightBytes();
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder()
                .setName("mlp")
                .addInput(io(INPUT, 2, 4))
                .addOutput(io("y", 2, 3))
                .addNode(node("MatMul", "mm1", List.of(INPUT, "w1"), "h"))
                .addNode(node("Add", "add1", List.of("h", "b1"), "hb"))
                .addNode(node("Relu", "relu", List.of("hb"), "r"))
                .addNode(node("MatMul", "mm2", List.of("r", "w2"), "y"));
        int offset = 0;
        for (Object[] w :
                new Object[][] {{"w1", new long[] {4, 8}}, {"b1", new long[] {8}}, {"w2", new long[] {8, 3}}}) {
            long[] dims = (long[]) w[1];
            int n = 4;
            for (long d : dims) {
                n *= (int) d;
            }
            Onnx.TensorProto.Builder t =
                    Onnx.TensorProto.newBuilder().setName((String) w[0]).setDataType(1);
            for (long d : dims) {
                t.addDims(d);
            }
            if (external) {
                t.setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", "mlp.weights"))
                        .addExternalData(entry("offset", Integer.toString(offset)))
                        .addExternalData(entry("length", Integer.toString(n)));
            } else {
                t.setRawData(ByteString.copyFrom(all, offset, n));
            }
            offset += n;
            g.addInitializer(t);
        }
        return Onnx.ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(
                        Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(g)
                .build();
    }

    static byte[] weightBytes() {
        ByteBuffer b = ByteBuffer.allocate(4 * (32 + 8 + 24)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; b.hasRemaining(); i++) {
            b.putFloat(((i * 37) % 17 - 8) / 16f);
        }
        return b.array();
    }

    static Onnx.StringStringEntryProto entry(String k, String v) {
        return Onnx.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    private static Onnx.NodeProto node(String op, String name, List<String> in, String out) {
        return Onnx.NodeProto.newBuilder()
                .setOpType(op)
                .setName(name)
                .addAllInput(new ArrayList<>(in))
                .addOutput(out)
                .build();
    }

    private static Onnx.ValueInfoProto io(String name, long... dims) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return Onnx.ValueInfoProto.newBuilder()
                .setName(name)
                .setType(Onnx.TypeProto.newBuilder()
                        .setTensorType(Onnx.TypeProto.Tensor.newBuilder()
                                .setElemType(1)
                                .setShape(shape)))
                .build();
    }
}
