package fsc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.GraphBuilder;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.text.IrPrinter;
import fsc.passes.PassRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fsc opt}: the pass list, and a file read back and printed as mlir-opt does. */
class OptCommandTest {
    @TempDir
    Path dir;

    @Test
    void listPassesPrintsEveryRegisteredPassWithItsSummary() {
        CliRun r = CliRun.of("opt", "--list-passes");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(PassRegistry.names().size(), lines.size(), r.out());
        for (int i = 0; i < lines.size(); i++) {
            String name = PassRegistry.names().get(i);
            assertTrue(lines.get(i).startsWith(name + " "), lines.get(i));
            assertTrue(lines.get(i).contains(PassRegistry.byName(name).info().summary()), lines.get(i));
        }
    }

    @Test
    void withoutPassesTheFileIsPrintedBack() throws Exception {
        GraphBuilder b = new GraphBuilder("tiny").symbol("B", 4);
        Value x = b.input("x", new TensorType(DType.F32, List.of(Dim.sym("B"), Dim.of(8))));
        Value y = b.node("softmax", "/out/Softmax", List.of(x), Map.of("axis", new Attr.Int(-1)));
        String text = IrPrinter.print(b.output(y).build());
        Path file = dir.resolve("tiny.fsir");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        CliRun r = CliRun.of("opt", file.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals(text, r.out());
    }

    @Test
    void withoutInputOrListItIsAUsageError() {
        CliRun.of("opt").assertOneLineError("opt: missing required parameter: 'IN.fsir'");
    }
}
