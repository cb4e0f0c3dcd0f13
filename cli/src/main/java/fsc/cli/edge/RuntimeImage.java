package fsc.cli.edge;

import fsc.runtime.RuntimeFailure;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;

/**
 * A jlinked Java runtime holding only the modules a model jar needs: {@code jdeps} lists what the
 * jar's classes use, {@code jlink} links those modules from the running JDK (JDK 24+ links from its
 * own run-time image, JEP 493, so no {@code jmods} folder is needed). Both run in-process through
 * {@link ToolProvider}, so no JDK path is ever guessed.
 */
public final class RuntimeImage {
    /** Always linked: generated kernels run on the Vector API, which jdeps sees only through the jar's classes. */
    static final String VECTOR_MODULE = "jdk.incubator.vector";

    private RuntimeImage() {}

    /** The modules {@code jar} needs, sorted, with the Vector API included. */
    public static List<String> modulesOf(Path jar) {
        String out = run(
                "jdeps",
                "--print-module-deps",
                "--ignore-missing-deps",
                "--multi-release",
                Integer.toString(Runtime.version().feature()),
                jar.toString());
        Set<String> modules = new TreeSet<>();
        for (String m : out.strip().split(",")) {
            if (!m.isBlank()) {
                modules.add(m.strip());
            }
        }
        modules.add("java.base");
        modules.add(VECTOR_MODULE);
        return List.copyOf(modules);
    }

    /**
     * Links {@code modules} into {@code output} (which must not exist), without debug attributes,
     * headers or man pages, with the module image zip-compressed.
     */
    public static void link(List<String> modules, Path output) {
        run(
                "jlink",
                "--add-modules",
                String.join(",", modules),
                "--strip-debug",
                "--no-header-files",
                "--no-man-pages",
                "--compress=zip-9",
                "--output",
                output.toString());
    }

    private static String run(String tool, String... args) {
        ToolProvider provider = ToolProvider.findFirst(tool)
                .orElseThrow(() -> new RuntimeFailure("fsc package needs the JDK's " + tool
                        + ", which this Java runtime lacks: run fsc on a full JDK 25"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> argv = new ArrayList<>(List.of(args));
        int code;
        try (PrintWriter o = new PrintWriter(out);
                PrintWriter e = new PrintWriter(err)) {
            code = provider.run(o, e, argv.toArray(String[]::new));
        }
        if (code != 0) {
            String detail = (err + " " + out).strip().replaceAll("\\s+", " ");
            throw new RuntimeFailure(tool + " failed (exit " + code + "): " + detail);
        }
        return out.toString();
    }
}
