package fsc.frontend.onnx;

import static fsc.frontend.onnx.TinyModels.model;
import static fsc.frontend.onnx.TinyModels.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.frontend.onnx.OnnxModelInfo.Io;
import fsc.frontend.onnx.OnnxModelInfo.OpCount;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelInfoTest {
    @TempDir
    Path dir;

    @Test
    void tinyModel() {
        Path file = write(dir, "model.onnx", model(TinyModels.matmulAdd().build(), 14));
        OnnxModelInfo info = OnnxModelInfo.read(file);
        assertEquals(List.of(new Io("x", "f32[batch,4]")), info.inputs());
        assertEquals(List.of(new Io("y", "f32[batch,3]")), info.outputs());
        assertEquals(List.of(new OpCount("Add", 1, true), new OpCount("MatMul", 1, true)), info.ops());
        assertEquals(15, info.parameterCount());
        assertEquals(60, info.parameterBytes());
        assertEquals(Map.of("ai.onnx", 14L), info.opsets());
        assertEquals("fsc-tests", info.producerName());
        assertEquals(8, info.irVersion());
        String text = info.render();
        assertTrue(text.contains("  x: f32[batch,4]\n"), text);
        assertTrue(text.contains("parameters: 15 (60 B)"), text);
    }

    @Test
    void mnistHistogramIsSortedByCountThenName() {
        OnnxModelInfo info = OnnxModelInfo.read(OnnxTestSupport.sharedData().resolve("onnx/models/mnist.onnx"));
        assertEquals(List.of(new Io("Input3", "f32[1,1,28,28]")), info.inputs());
        assertEquals(List.of(new Io("Plus214_Output_0", "f32[1,10]")), info.outputs());
        List<OpCount> ops = info.ops();
        for (int i = 1; i < ops.size(); i++) {
            OpCount a = ops.get(i - 1);
            OpCount b = ops.get(i);
            assertTrue(
                    a.count() > b.count() || (a.count() == b.count() && a.op().compareTo(b.op()) < 0), ops::toString);
        }
        assertTrue(ops.contains(new OpCount("Conv", 2, true)), ops::toString);
        assertTrue(!info.render().contains("(unsupported)"), info::render);
        assertEquals(8L, info.opsets().get("ai.onnx"));
    }
}
