package fsc.backend.cuda;

import fsc.frontend.onnx.ImportOptions;
import fsc.frontend.onnx.OnnxImporter;
import fsc.ir.Graph;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.Pipelines;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Assumptions;

/** Models and tools the tests share: MiniLM from its Maven artifact, and nvcc with a visible skip. */
final class TestModels {
    private TestModels() {}

    private static Graph miniLm;

    static synchronized Graph miniLm() {
        if (miniLm == null) {
            try (InputStream in = TestModels.class.getResourceAsStream("/all-minilm-l6-v2.onnx")) {
                if (in == null) {
                    throw new AssertionError("all-minilm-l6-v2.onnx is not on the test classpath");
                }
                Path f = Files.createTempFile("minilm", ".onnx");
                Files.copy(in, f, StandardCopyOption.REPLACE_EXISTING);
                Graph imported = OnnxImporter.importModel(f, ImportOptions.defaults());
                Files.delete(f);
                miniLm = PassManager.builder()
                        .build()
                        .run(imported, Pipelines.cudaDefault(CudaBackend.fusionRules()), PassContext.defaults())
                        .graph();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return miniLm;
    }

    /** nvcc from PATH, or a skipped test whose reason is printed (never a silent pass). */
    static Nvcc nvccOrSkip() {
        var nvcc = Nvcc.find(System.getenv("PATH"));
        if (nvcc.isEmpty()) {
            String why = "SKIPPED: nvcc is not on PATH, so the emitted CUDA C was not compile-checked";
            System.err.println(why);
            Assumptions.abort(why);
        }
        return nvcc.get();
    }
}
