package fsc.frontend.onnx;

import static fsc.frontend.onnx.TinyModels.model;
import static fsc.frontend.onnx.TinyModels.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
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

    /** A hard link looks like a plain file inside the folder, but may share its inode with any file. */
    @Test
    void hardLinksAreRefused() throws IOException {
        Path modelDir = Files.createDirectory(dir.resolve("m"));
        Path outside = Files.write(dir.resolve("secret.bin"), new byte[48]);
        Files.createLink(modelDir.resolve("w.bin"), outside);
        Path model = write(modelDir, "model.onnx", model(MalformedModelTest.withExternalW("w.bin", 0), 14));
        assertRefused(model, "model.onnx: initializer 'W': external data file 'w.bin' has 2 hard links");
    }

    /** /dev/zero reads without end and a FIFO blocks the open: neither is a weights file. */
    @Test
    void devicesPipesAndFoldersAreRefused() throws Exception {
        Files.createSymbolicLink(dir.resolve("zero.bin"), Path.of("/dev/zero"));
        Files.createDirectory(dir.resolve("folder.bin"));
        Process p = new ProcessBuilder("mkfifo", dir.resolve("pipe.bin").toString()).start();
        assertEquals(0, p.waitFor());
        for (String location : List.of("zero.bin", "folder.bin", "pipe.bin")) {
            Path model = write(dir, "model.onnx", model(MalformedModelTest.withExternalW(location, 0), 14));
            String message = location.equals("zero.bin")
                    // the link leaves the folder before it is a device
                    ? "external data location 'zero.bin' is a link to a file outside the model's folder"
                    : "external data location '" + location + "' is not a regular file";
            assertRefused(model, message);
        }
    }

    /** A link that stays inside the model's folder is an ordinary way to lay out files. */
    @Test
    void aSymlinkInsideTheFolderIsAccepted() throws IOException {
        Files.write(dir.resolve("w.bin"), new byte[48]);
        Files.createSymbolicLink(dir.resolve("alias.bin"), dir.resolve("w.bin"));
        Path model = write(dir, "model.onnx", model(MalformedModelTest.withExternalW("alias.bin", 0), 14));
        assertEquals(
                List.of(4L, 3L),
                OnnxImporter.importModel(model).weights().get("W").dims());
    }

    private static void assertRefused(Path model, String message) {
        FscException e = assertThrows(FscException.class, () -> OnnxImporter.importModel(model));
        assertTrue(e.oneLine().contains(message), e.oneLine());
    }

    @Test
    void rawDataIsAViewIntoTheMappedModel() {
        Path model = write(dir, "model.onnx", model(TinyModels.matmulAdd().build(), 14));
        Graph g = OnnxImporter.importModel(model);
        assertTrue(g.weights().get("b").bytes().isDirect());
    }
}
