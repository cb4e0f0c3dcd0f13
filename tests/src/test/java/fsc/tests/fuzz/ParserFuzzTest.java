package fsc.tests.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufModelInfo;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.frontend.gguf.arch.GgufDecoderImporter;
import fsc.frontend.onnx.OnnxImporter;
import fsc.frontend.onnx.OnnxModelInfo;
import fsc.ir.Weights;
import fsc.ir.text.IrParser;
import fsc.ir.text.WeightSideFile;
import fsc.runtime.io.Npy;
import fsc.runtime.io.OnnxTensorFile;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.text.WordPieceTokenizer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jazzer fuzz targets, one per parser of untrusted files. Without {@code JAZZER_FUZZ} each runs the
 * saved corpus under {@code src/test/resources/fsc/tests/fuzz/ParserFuzzTestInputs/<method>/} as a
 * regression test (seconds, in every build); with {@code JAZZER_FUZZ=1} the one selected target is
 * fuzzed (see README "Fuzzing"). Each target holds the parser to {@link ParserContract}: read the input
 * or fail as a one-line user error. A crash found this way is saved into the target's inputs folder
 * (so this class replays it) and gets a unit test next to the parser it broke (docs/RELIABILITY.md
 * lists them).
 */
class ParserFuzzTest {
    @TempDir
    static Path root;

    @FuzzTest(maxDuration = "10m")
    void onnxImporter(byte[] bytes) throws Exception {
        Path f = ParserContract.write(root, "model.onnx", bytes);
        try {
            ParserContract.check(() -> OnnxModelInfo.read(f));
            ParserContract.check(() -> OnnxImporter.importModel(f));
        } finally {
            ParserContract.delete(f);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void ggufReader(byte[] bytes) throws Exception {
        Path f = ParserContract.write(root, "model.gguf", bytes);
        try {
            ParserContract.check(() -> GgufModelInfo.read(f).render());
            ParserContract.check(() -> {
                try (GgufFile g = GgufFile.open(f)) {
                    GgufDecoderImporter.importModel(g, DecoderOptions.defaults());
                }
            });
        } finally {
            ParserContract.delete(f);
        }
    }

    /** The weights the seed dumps name (the MLP of {@link SeedFiles}), so mutants reach the graph checks. */
    private static Weights dumpWeights;

    @BeforeAll
    static void readDumpWeights() throws Exception {
        Path f = Files.createTempFile(root, "mlp", ".fsw");
        try (InputStream in = ParserFuzzTest.class.getResourceAsStream("mlp-weights.fsw")) {
            Files.write(f, in.readAllBytes());
        }
        dumpWeights = WeightSideFile.read(f);
    }

    @FuzzTest(maxDuration = "10m")
    void fsirParser(byte[] bytes) throws Exception {
        String text = new String(bytes, StandardCharsets.UTF_8);
        ParserContract.check(() -> IrParser.parse(text, "fuzz.fsir", dumpWeights));
    }

    @FuzzTest(maxDuration = "10m")
    void weightSideFile(byte[] bytes) throws Exception {
        Path f = ParserContract.write(root, WeightSideFile.NAME, bytes);
        try {
            ParserContract.check(() -> WeightSideFile.read(f));
        } finally {
            ParserContract.delete(f);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void npyReader(byte[] bytes) throws Exception {
        Path f = ParserContract.write(root, "x.npy", bytes);
        try {
            ParserContract.check(() -> Npy.read(f));
        } finally {
            ParserContract.delete(f);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void tensorProtoReader(byte[] bytes) throws Exception {
        Path f = ParserContract.write(root, "x.pb", bytes);
        try {
            ParserContract.check(() -> OnnxTensorFile.readNamed(f));
        } finally {
            ParserContract.delete(f);
        }
    }

    @FuzzTest(maxDuration = "10m")
    void wordPieceTokenizerJson(byte[] bytes) throws Exception {
        String text = new String(bytes, StandardCharsets.UTF_8);
        ParserContract.check(() -> WordPieceTokenizer.fromJsonText(text));
    }

    @FuzzTest(maxDuration = "10m")
    void llmConfigJson(byte[] bytes) throws Exception {
        String text = new String(bytes, StandardCharsets.UTF_8);
        ParserContract.check(() -> LlmConfig.fromJson(text));
    }
}
