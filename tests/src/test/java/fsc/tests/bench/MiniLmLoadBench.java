package fsc.tests.bench;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.passes.Pass;
import fsc.passes.Pipelines;
import fsc.runtime.CompiledModel;
import fsc.tests.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Model load time (open the jar, map the weights, construct the model) of MiniLM compiled with the
 * default pipeline, whose {@code layout} pass stores GEMM weights pre-packed, against the same
 * pipeline without {@code layout}, whose model packs every weight at construction. Opens alternate
 * between the two jars so both see the same machine state. A benchmark: it asserts nothing.
 *
 * <p>Run: {@code ./mvnw -B -Pbench -pl tests -am test -Dtest=MiniLmLoadBench -Dfsc.bench.runs=30}
 */
@Tag("bench")
class MiniLmLoadBench {

    @Test
    void loadTime() throws Exception {
        int runs = Integer.getInteger("fsc.bench.runs", 30);
        Path dir = Files.createTempDirectory("fsc-load-bench");
        Path packed = dir.resolve("packed.jar");
        Path rowMajor = dir.resolve("row-major.jar");
        String withoutLayout = Pipelines.cpuDefault().stream()
                .map(Pass::name)
                .filter(n -> !n.equals("layout"))
                .collect(Collectors.joining(","));
        compile(packed);
        compile(rowMajor, "--passes", withoutLayout);
        long[] withLayout = new long[runs];
        long[] without = new long[runs];
        for (int i = -3; i < runs; i++) {
            // Alternate which jar opens first: the second open of a pair finds warmer caches.
            boolean packedFirst = (i & 1) == 0;
            long a = packedFirst ? open(packed) : 0;
            long b = open(rowMajor);
            if (!packedFirst) {
                a = open(packed);
            }
            if (i >= 0) {
                withLayout[i] = a;
                without[i] = b;
            }
        }
        String line = String.format(
                Locale.ROOT,
                "MiniLM load (open + construct, 1 thread), median (min) of %d: layout %.1f ms (%.1f), without"
                        + " layout %.1f ms (%.1f); jars %d vs %d bytes",
                runs,
                median(withLayout) / 1e6,
                Arrays.stream(withLayout).min().orElseThrow() / 1e6,
                median(without) / 1e6,
                Arrays.stream(without).min().orElseThrow() / 1e6,
                Files.size(packed),
                Files.size(rowMajor));
        System.out.println(line);
        Files.writeString(Path.of("target", "bench-load.md"), line + "\n");
    }

    private static void compile(Path jar, String... extra) {
        String[] args = new String[4 + extra.length];
        args[0] = "compile";
        args[1] = TestModels.minilm().toString();
        args[2] = "-o";
        args[3] = jar.toString();
        System.arraycopy(extra, 0, args, 4, extra.length);
        String[] quiet = Arrays.copyOf(args, args.length + 1);
        quiet[args.length] = "--quiet";
        if (Main.execute(quiet) != 0) {
            throw new IllegalStateException("compile failed: " + String.join(" ", quiet));
        }
    }

    private static long open(Path jar) throws Exception {
        long t0 = System.nanoTime();
        try (CompiledModel m = ArtifactLoader.open(jar, 1)) {
            return System.nanoTime() - t0;
        }
    }

    private static double median(long[] xs) {
        long[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
