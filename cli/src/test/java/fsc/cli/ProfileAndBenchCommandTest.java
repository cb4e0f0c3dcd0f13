package fsc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.backend.java.JavaBackend;
import fsc.backend.java.JavaBackendOptions;
import fsc.cli.perf.ModelSignature;
import fsc.cli.perf.SyntheticInputs;
import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.GraphBuilder;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.runtime.perf.NodeProfile;
import fsc.runtime.perf.NodeTable;
import fsc.runtime.perf.ProfiledModel;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;

/**
 * {@code fsc profile} and {@code fsc bench} end to end on a tiny compiled model: token ids → gather
 * from a 50-row table → matmul → softmax, with symbols B (batch) and S (sequence).
 */
class ProfileAndBenchCommandTest {
    @TempDir
    static Path dir;

    static Path jar;

    @BeforeAll
    static void compile() {
        jar = dir.resolve("tiny.jar");
        compileTiny(jar);
    }

    /** The tiny encoder-like model (ids → gather → matmul → softmax), compiled to {@code jar}. */
    static void compileTiny(Path jar) {
        GraphBuilder b = new GraphBuilder("tiny").symbol("B", 4).symbol("S", 16);
        Value ids = b.input("input_ids", new TensorType(DType.I64, List.of(Dim.sym("B"), Dim.sym("S"))));
        Value table = b.constant("table", weight(50, 16));
        Value w = b.constant("w", weight(16, 8));
        Value e = b.node("gather", "/emb/Gather", List.of(table, ids), Map.of("axis", new Attr.Int(0)));
        Value h = b.node("matmul", "/dense/MatMul", List.of(e, w), Map.of());
        Value y = b.node("softmax", "/out/Softmax", List.of(h), Map.of("axis", new Attr.Int(-1)));
        JavaBackend.compile(b.output(y).build(), JavaBackendOptions.forModel("tiny.onnx"), jar);
    }

    private static WeightData weight(long rows, long cols) {
        ByteBuffer bb = ByteBuffer.allocate((int) (rows * cols * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rows * cols; i++) {
            bb.putFloat((float) Math.sin(i));
        }
        return new WeightData(DType.F32, List.of(rows, cols), bb.flip());
    }

    private record Run(int exit, String out, String err) {}

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(rc, out.toString(), err.toString());
    }

    @Test
    void theHookTimesEverySlotAndTheTableDescribesIt() {
        try (CompiledModel m = ArtifactLoader.open(jar, 1)) {
            ProfiledModel pm = (ProfiledModel) m;
            NodeTable table = NodeTable.load(m.getClass().getClassLoader());
            assertEquals(3, pm.profileSlots());
            assertEquals(
                    List.of("gather", "matmul", "softmax"),
                    table.slots().stream().map(NodeTable.Slot::op).toList());
            assertEquals(0L, table.inputRanges().get("input_ids")[0]);
            assertEquals(50L, table.inputRanges().get("input_ids")[1]);
            Map<String, Long> bind = Map.of("B", 2L, "S", 5L);
            assertEquals(2.0 * 2 * 5 * 8 * 16, table.slots().get(1).flops(bind));
            ModelSignature sig = ModelSignature.load(m.getClass().getClassLoader());
            Map<String, Tensor> in = SyntheticInputs.make(sig, bind, table.inputRanges(), new ArrayList<>());
            for (long id : in.get("input_ids").toLongArray()) {
                assertTrue(id >= 0 && id < 50, "id " + id);
            }
            NodeProfile p = new NodeProfile(3);
            pm.profileWith(p);
            m.run(in);
            m.run(in);
            pm.profileWith(null);
            m.run(in);
            for (int s = 0; s < 3; s++) {
                assertEquals(2, p.calls(s), "slot " + s);
            }
            assertTrue(p.totalNanos() > 0);
        }
    }

    @Test
    void profileRunsEndToEndAndWritesAWellFormedSvg() throws Exception {
        Path svg = dir.resolve("tiny.svg");
        Run r = cli(
                "profile",
                jar.toString(),
                "--no-peaks",
                "--runs",
                "5",
                "--batch",
                "2",
                "--seq",
                "5",
                "--warmup-max",
                "5",
                "--svg",
                svg.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("(B=2 S=5)"), r.out());
        for (String op : List.of("gather", "matmul", "softmax", "(outside nodes)")) {
            assertTrue(r.out().contains(op), op + " missing in\n" + r.out());
        }
        String text = Files.readString(svg);
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(new InputSource(new StringReader(text)));
        assertEquals("svg", doc.getDocumentElement().getLocalName());
        // One bar per node and one per op kind.
        assertEquals(6, doc.getElementsByTagName("title").getLength(), text);
    }

    @Test
    void benchReportsSpreadAndThroughput() {
        Run r = cli(
                "bench",
                jar.toString(),
                "--runs",
                "20",
                "--batch",
                "3",
                "--seq",
                "4",
                "--warmup-max",
                "5",
                "-t",
                "1,2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("B=3 S=4"), r.out());
        assertTrue(r.out().contains("threads=2"), r.out());
        assertTrue(r.out().contains("samples/s (batch 3)"), r.out());
        assertTrue(r.out().contains("tokens/s"), r.out());
        assertTrue(r.out().contains("warm-up settled after") || r.out().contains("warm-up did NOT settle"), r.out());
    }

    @Test
    void optionsThatDoNotApplyAreRefusedInOneLine() {
        for (String[] args : List.of(
                new String[] {"bench", jar.toString(), "-p", "128"},
                new String[] {"bench", jar.toString(), "-r", "3"},
                new String[] {"bench", jar.toString(), "-d", "512"},
                new String[] {"bench", jar.toString(), "--rounds", "3"},
                new String[] {"bench", jar.toString(), "--peer", "llama-bench=/bin/true"},
                new String[] {"bench", jar.toString(), "--dim", "Q=3"},
                new String[] {"bench", jar.toString(), "--seq", "17"},
                new String[] {"profile", jar.toString(), "--dim", "Q=3", "--no-peaks"})) {
            Run r = cli(args);
            assertEquals(2, r.exit(), String.join(" ", args) + "\n" + r.out() + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("fsc: error: "), r.err());
        }
    }

    @Test
    void batchAndSeqNameTheSymbolsAtAxesZeroAndOne() {
        try (CompiledModel m = ArtifactLoader.open(jar, 1)) {
            ModelSignature sig = ModelSignature.load(m.getClass().getClassLoader());
            assertEquals(Map.of("B", 1L, "S", 16L), SyntheticInputs.bind(sig, null, null, Map.of()));
            assertEquals(Map.of("B", 4L, "S", 7L), SyntheticInputs.bind(sig, 4L, null, Map.of("S", 7L)));
            Map<String, Long> dims = new LinkedHashMap<>();
            dims.put("B", 5L);
            try {
                SyntheticInputs.bind(sig, null, null, dims);
                throw new AssertionError("B=5 is over the bound 4");
            } catch (FscException e) {
                assertTrue(e.getMessage().contains("outside 1..4"), e.getMessage());
            }
        }
    }
}
