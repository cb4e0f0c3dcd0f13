package fsc.frontend.onnx;

import static fsc.frontend.onnx.TinyModels.model;
import static fsc.frontend.onnx.TinyModels.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Graph;
import fsc.ir.WeightData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExternalDataTest {
    @TempDir
    Path dir;

    @Test
    void externalWeightsAreMappedFromTheModelFolder() throws IOException {
        int offset = 64;
        ByteBuffer file = ByteBuffer.allocate(offset + 48).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 12; i++) {
            file.putFloat(offset + i * 4, 100 + i);
        }
        Files.createDirectory(dir.resolve("weights"));
        Files.write(dir.resolve("weights/w.bin"), file.array());
        Path model = write(dir, "model.onnx", model(MalformedModelTest.withExternalW("weights/w.bin", offset), 14));

        Graph g = OnnxImporter.importModel(model);
        WeightData w = g.weights().get("W");
        assertEquals(List.of(4L, 3L), w.dims());
        assertEquals(100f, w.view().getFloat(0));
        assertEquals(111f, w.view().getFloat(44));
        // mapped from the file, not copied onto the heap
        assertTrue(w.bytes().isDirect());
    }

    @Test
    void rawDataIsAViewIntoTheMappedModel() {
        Path model = write(dir, "model.onnx", model(TinyModels.matmulAdd().build(), 14));
        Graph g = OnnxImporter.importModel(model);
        assertTrue(g.weights().get("b").bytes().isDirect());
    }
}
