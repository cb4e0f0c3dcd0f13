package fsc.backend.cuda;

import fsc.frontend.onnx.ImportOptions;
import fsc.frontend.onnx.OnnxImporter;
import fsc.frontend.onnx.OnnxModelInfo;
import fsc.frontend.onnx.OnnxTensors;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.WeightData;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.Pipelines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An ONNX node test (folder {@code node/<name>} of the shared data) imported the way the conformance
 * runner prepares it ({@code fsc.cli.conformance.TestPreparation}: inputs a shape depends on are
 * bound to the test's data one at a time, as the importer asks), then run through {@link
 * Pipelines.cudaDefault(CudaBackend.fusionRules())} as {@code --target cuda} does. The CLI module depends on this one, so its
 * code cannot be called from here; this is the same sequence of frontend and pass calls.
 */
final class OnnxNodeModels {
    private static final Pattern BIND_HINT = Pattern.compile("--bind (\\S+)=FILE");

    private OnnxNodeModels() {}

    /** A prepared graph, or why the frontend or the passes stopped (not a CUDA matter). */
    sealed interface Prepared {}

    record Ready(String name, Graph graph) implements Prepared {}

    record Ended(String name, String why) implements Prepared {}

    /** The test names of a milestone list ({@code milestone1_bert.txt}: one name a line). */
    static List<String> milestone(Path list) {
        try {
            return Files.readAllLines(list).stream()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .toList();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read " + list + ": " + e.getMessage());
        }
    }

    static Prepared prepare(Path testDir) {
        String name = testDir.getFileName().toString();
        Path model = testDir.resolve("model.onnx");
        try {
            List<String> names = OnnxModelInfo.read(model).inputs().stream()
                    .map(OnnxModelInfo.Io::name)
                    .toList();
            Map<String, Path> data = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                Path f = testDir.resolve("test_data_set_0").resolve("input_" + i + ".pb");
                if (Files.isRegularFile(f)) {
                    data.put(names.get(i), f);
                }
            }
            ImportOptions options = ImportOptions.defaults();
            List<String> bound = new ArrayList<>();
            Graph g;
            while (true) {
                try {
                    g = OnnxImporter.importModel(model, options);
                    break;
                } catch (FscException e) {
                    Optional<String> wanted = bindRequest(e).filter(n -> data.containsKey(n) && !bound.contains(n));
                    if (wanted.isEmpty()) {
                        throw e;
                    }
                    bound.add(wanted.get());
                    WeightData w = OnnxTensors.read(data.get(wanted.get())).data();
                    options = options.withBinding(wanted.get(), w);
                }
            }
            g = PassManager.builder()
                    .build()
                    .run(g, Pipelines.cudaDefault(CudaBackend.fusionRules()), PassContext.defaults())
                    .graph();
            return new Ready(name, g);
        } catch (FscException e) {
            return new Ended(name, e.oneLine());
        } catch (RuntimeException e) {
            return new Ended(name, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static Optional<String> bindRequest(FscException e) {
        if (e.hint() == null) {
            return Optional.empty();
        }
        Matcher m = BIND_HINT.matcher(e.hint());
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
