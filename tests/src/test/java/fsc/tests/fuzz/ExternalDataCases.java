package fsc.tests.fuzz;

import fsc.frontend.onnx.proto.Onnx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Hostile file systems for an ONNX model with external data: locations that escape the model's
 * folder ({@code ..}, absolute paths, file and folder symlinks, hard links, {@code /dev/zero}, a FIFO)
 * and bad offsets and lengths. The file outside holds valid weights, so a missing check shows as a
 * successful compile, which {@link MutationRun} counts as a bad outcome.
 */
final class ExternalDataCases {
    private ExternalDataCases() {}

    /** What a case set up: the model to compile and whether fsc must refuse it. */
    record Case(Path model, boolean mustRefuse, String what) {}

    static final List<String> NAMES = List.of(
            "dotdot",
            "absolute-outside",
            "absolute-inside",
            "nested-dotdot",
            "file-symlink-out",
            "dir-symlink-out",
            "hardlink-out",
            "dev-zero-symlink",
            "dev-zero-absolute",
            "fifo",
            "directory",
            "empty",
            "nul-byte",
            "huge-offset",
            "negative-offset",
            "huge-length",
            "non-number-offset",
            "symlink-loop",
            "inside-symlink",
            "dot-slash",
            "random-offset-length");

    static Case make(int index, Path work, Path outside, Onnx.ModelProto seed, SplittableRandom r)
            throws IOException, InterruptedException {
        String name = NAMES.get(index % NAMES.size());
        Files.write(work.resolve("mlp.weights"), SeedFiles.weightBytes());
        String location = "mlp.weights";
        String offset = null;
        String length = null;
        boolean refuse = true;
        switch (name) {
            case "dotdot" -> location = "../" + work.relativize(outside.resolve("mlp.weights"));
            case "absolute-outside" -> location = outside.resolve("mlp.weights").toString();
            case "absolute-inside" ->
                location = work.resolve("mlp.weights").toAbsolutePath().toString();
            case "nested-dotdot" -> {
                Files.createDirectories(work.resolve("a/b"));
                location = "a/b/../../../" + work.getFileName() + "/mlp.weights/../../"
                        + work.getParent().relativize(outside.resolve("mlp.weights"));
            }
            case "file-symlink-out" -> {
                Files.createSymbolicLink(work.resolve("link.weights"), outside.resolve("mlp.weights"));
                location = "link.weights";
            }
            case "dir-symlink-out" -> {
                Files.createSymbolicLink(work.resolve("d"), outside);
                location = "d/mlp.weights";
            }
            case "hardlink-out" -> {
                Path target = outside.resolve("hard-" + work.getFileName() + ".weights");
                Files.write(target, SeedFiles.weightBytes());
                Files.createLink(work.resolve("hard.weights"), target);
                location = "hard.weights";
            }
            case "dev-zero-symlink" -> {
                Files.createSymbolicLink(work.resolve("zero.weights"), Path.of("/dev/zero"));
                location = "zero.weights";
            }
            case "dev-zero-absolute" -> location = "/dev/zero";
            case "fifo" -> {
                Process p = new ProcessBuilder(
                                "mkfifo", work.resolve("pipe.weights").toString())
                        .start();
                p.waitFor();
                location = "pipe.weights";
            }
            case "directory" -> {
                Files.createDirectories(work.resolve("dir.weights"));
                location = "dir.weights";
            }
            case "empty" -> location = "";
            case "nul-byte" -> location = "mlp.weights\u0000.txt";
            case "huge-offset" -> offset = "9223372036854775807";
            case "negative-offset" -> offset = "-64";
            case "huge-length" -> length = "18446744073709551616";
            case "non-number-offset" -> offset = "1e3";
            case "symlink-loop" -> {
                Files.createSymbolicLink(work.resolve("loop1"), work.resolve("loop2"));
                Files.createSymbolicLink(work.resolve("loop2"), work.resolve("loop1"));
                location = "loop1";
            }
            case "inside-symlink" -> {
                // A link that stays inside the folder is allowed.
                Files.createSymbolicLink(work.resolve("alias.weights"), work.resolve("mlp.weights"));
                location = "alias.weights";
                refuse = false;
            }
            case "dot-slash" -> {
                location = "./sub/../mlp.weights";
                Files.createDirectories(work.resolve("sub"));
                refuse = false;
            }
            default -> {
                offset = Long.toString(r.nextLong(-8, 1 << 12));
                length = Long.toString(r.nextLong(-8, 1 << 12));
                refuse = false; // either reads a valid region or refuses: both are fine, judged by exit code
            }
        }
        Onnx.ModelProto.Builder m = seed.toBuilder();
        Onnx.GraphProto.Builder g = m.getGraphBuilder();
        int pick = r.nextInt(g.getInitializerCount());
        Onnx.TensorProto.Builder t = g.getInitializerBuilder(pick);
        for (int i = 0; i < t.getExternalDataCount(); i++) {
            Onnx.StringStringEntryProto e = t.getExternalData(i);
            String v =
                    switch (e.getKey()) {
                        case "location" -> location;
                        case "offset" -> offset == null ? e.getValue() : offset;
                        case "length" -> length == null ? e.getValue() : length;
                        default -> e.getValue();
                    };
            t.setExternalData(i, SeedFiles.entry(e.getKey(), v));
        }
        Path model = work.resolve("model.onnx");
        Files.write(model, m.build().toByteArray());
        return new Case(model, refuse, name + " (initializer " + t.getName() + ", location '" + location + "')");
    }
}
