package fsc.compiler;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.text.IrPrinter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Small {@code .fsir} inputs for driver tests: x[S,8] + b → relu → softmax, written with its weights. */
final class TinyModels {
    private TinyModels() {}

    /** Writes the graph to {@code file} (and its weights beside it); {@code seed} varies the weights' bytes. */
    static Path fsir(Path file, int seed) throws IOException {
        GraphBuilder g = new GraphBuilder("tiny");
        g.symbol("S", 16);
        Value x = g.input("x", new TensorType(DType.F32, List.of(Dim.sym("S"), Dim.of(8))));
        ByteBuffer b = ByteBuffer.allocate(8 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 8; i++) {
            b.putFloat((float) Math.sin(i + seed));
        }
        Value bias = g.constant("b", new WeightData(DType.F32, List.of(8L), b.flip()));
        Value s = g.node("add", "add", List.of(x, bias), Map.of());
        Value r = g.node("relu", "relu", List.of(s), Map.of());
        g.output(g.node("softmax", "sm", List.of(r), Map.of("axis", new Attr.Int(-1))));
        Graph graph = g.build();
        IrFiles.write(file, graph, IrPrinter.print(graph));
        return file;
    }
}
