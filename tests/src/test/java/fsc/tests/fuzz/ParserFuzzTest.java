package fsc.tests.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufModelInfo;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.frontend.gguf.arch.GgufDecoderImporter;
import fsc.frontend.onnx.OnnxImporter;
import fsc.frontend.onnx.OnnxModelInfo;
import fsc.ir.text.IrParser;
import fsc.ir.text.WeightSideFile;
import fsc.runtime.io.Npy;
import fsc.runtime.io.OnnxTensorFile;
import fsc.runtime.llm.LlmConfig;
import fsc.runtime.text.WordPieceTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jazzer fuzz targets, one per parser of untrusted files. Without {@code JAZZER_FUZZ} each runs the
 * saved corpus under {@code src/test/resources/fsc/tests/fuzz/ParserFuzzTestInputs/<method>/} as a
 * regression test (seconds, in every build); with {@code JAZZER_FUZZ=1} the one selected target is
 * fuzzed (see README "Fuzzing"). Each target holds the parser to {@link ParserContract}: read the input
 * or fail as a one-line user error. Crashes found this way are kept as unit tests in
 * {@link ParserRegressionTest}.
 */
class ParserFuzzTest {
    @TempDir
    static Path root;

    @FuzzTest(maxDuration = "60s")
    void onnxImporter(byte[] bytes) throws Exception {
        Path f = ParserContract.write(root, "model.onnx", bytes);
        try {
            ParserContract.check(() -> OnnxModelInfo.read(f));
            ParserContract.check(() -> OnnxImporter.importModel(f));
        } finally {
            ParserContract.delete(f);
        }
    }

    @FuzzTest(maxDuration = "60s")
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

    @FuzzTest(maxDuration = "60s")
    void fsirParser(byte[] bytes) throws Exception {
        String text = new String(bytes, StandardCharsets.UTF_8);
        ParserContract.check(() -> IrParser.parse(text, "fuzz.fsir"));
    }

    @FuzzTest(maxDuration = "60s")
    void weightSideFile(byte[] bytes) throws Exception {
        Path f = ParserContract.write(root, WeightSideFile.NAME, bytes);
        try {
            ParserContract.check(() -> WeightSideFile.read(f));
        } finally {
            ParserContract.delete(f);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void npyReader(byte[] bytes) throws Exception {
        Path f = ParserContract.write(root, "x.npy", bytes);
        try {
            ParserContract.check(() -> Npy.read(f));
        } finally {
            ParserContract.delete(f);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void tensorProtoReader(byte[] bytes) throws Exception {
        Path f = ParserContract.write(root, "x.pb", bytes);
        try {
            ParserContract.check(() -> OnnxTensorFile.readNamed(f));
        } finally {
            ParserContract.delete(f);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void wordPieceTokenizerJson(byte[] bytes) throws Exception {
        String text = new String(bytes, StandardCharsets.UTF_8);
        ParserContract.check(() -> WordPieceTokenizer.fromJsonText(text));
    }

    @FuzzTest(maxDuration = "60s")
    void llmConfigJson(byte[] bytes) throws Exception {
        String text = new String(bytes, StandardCharsets.UTF_8);
        ParserContract.check(() -> LlmConfig.fromJson(text));
    }
}
