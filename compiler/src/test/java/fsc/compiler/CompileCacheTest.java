package fsc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compile cache is keyed by content (issue 16: it was keyed by the CLI jar's mtime, so every
 * rebuild left another identical jar), is bounded, and its progress names files that exist.
 */
class CompileCacheTest {
    @TempDir
    Path dir;

    @Test
    void theKeyIsTheInputsBytesAndTheSettingsNotTimes() throws Exception {
        CompileCache cache = new CompileCache(dir.resolve("cache"));
        Path model = TinyModels.fsir(dir.resolve("m/tiny.fsir"), 0);
        String first = cache.entryName(CompileSettings.builder(model, model).build());
        Files.setLastModifiedTime(model, FileTime.fromMillis(0));
        assertEquals(
                first, cache.entryName(CompileSettings.builder(model, model).build()), "mtime is not content");
        assertNotEquals(
                first,
                cache.entryName(CompileSettings.builder(model, model)
                        .target(Target.CUDA)
                        .build()),
                "another target is another jar");
        Files.writeString(model, Files.readString(model).replace("relu", "relu "));
        assertNotEquals(
                first, cache.entryName(CompileSettings.builder(model, model).build()), "other bytes");
    }

    @Test
    void hitsReuseAndEvictionKeepsTheBound() throws Exception {
        Path cacheDir = dir.resolve("cache");
        CompileCache cache = new CompileCache(cacheDir, 2, Long.MAX_VALUE);
        List<String> steps = new ArrayList<>();
        CompileProgress progress = new CompileProgress() {
            @Override
            public void step(String message) {
                steps.add(message);
            }

            @Override
            public void report(String text) {}
        };
        List<Path> jars = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path model = TinyModels.fsir(dir.resolve("m" + i + "/tiny.fsir"), i);
            jars.add(cache.jarFor(model, progress));
            // Every path a progress line names is there when the line is read.
            String last = steps.getLast();
            assertEquals("wrote " + jars.getLast(), last);
            assertTrue(Files.isRegularFile(jars.getLast()), last);
            Files.setLastModifiedTime(jars.getLast(), FileTime.fromMillis(1_000_000L * (i + 1)));
        }
        try (Stream<Path> files = Files.list(cacheDir)) {
            assertEquals(
                    List.of(jars.get(1), jars.get(2)),
                    files.sorted().toList().stream()
                            .sorted((a, b) -> Integer.compare(jars.indexOf(a), jars.indexOf(b)))
                            .toList());
        }
        steps.clear();
        Path again = cache.jarFor(dir.resolve("m2/tiny.fsir"), progress);
        assertEquals(jars.get(2), again);
        assertEquals(List.of("using cached " + again), steps);
    }
}
