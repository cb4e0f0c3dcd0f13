package fsc.cli.conformance;

import fsc.ir.FscException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One test laid out as the ONNX backend node tests are: {@code NAME/model.onnx} and
 * {@code NAME/test_data_set_0/input_K.pb}, {@code output_K.pb} (K from 0, in graph order).
 */
public record NodeTestCase(String name, Path model, List<Path> inputs, List<Path> outputs) {
    static final String DATA_SET = "test_data_set_0";

    public NodeTestCase {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /**
     * Every test folder directly under {@code root} whose name {@code filter} finds (a partial
     * match, like {@code grep}), sorted by name. Folders without a {@code model.onnx} are ignored.
     */
    public static List<NodeTestCase> discover(Path root, Pattern filter) {
        if (!Files.isDirectory(root)) {
            throw new FscException(root + ": not a folder of ONNX node tests");
        }
        List<NodeTestCase> tests = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.sorted().toList()) {
                String name = dir.getFileName().toString();
                if (Files.isRegularFile(dir.resolve("model.onnx"))
                        && filter.matcher(name).find()) {
                    tests.add(of(dir));
                }
            }
        } catch (IOException e) {
            throw new FscException(root + ": cannot list: " + e.getMessage());
        }
        return tests;
    }

    /** The test in folder {@code dir}. */
    public static NodeTestCase of(Path dir) {
        Path data = dir.resolve(DATA_SET);
        return new NodeTestCase(
                dir.getFileName().toString(),
                dir.resolve("model.onnx"),
                numbered(data, "input_"),
                numbered(data, "output_"));
    }

    /** {@code prefix0.pb, prefix1.pb, ...} up to the first gap. */
    private static List<Path> numbered(Path dir, String prefix) {
        List<Path> files = new ArrayList<>();
        for (int k = 0; ; k++) {
            Path f = dir.resolve(prefix + k + ".pb");
            if (!Files.isRegularFile(f)) {
                return files;
            }
            files.add(f);
        }
    }
}
