package fsc.ir.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No IR attribute is read with a default written at the call site: {@code Node} and {@code
 * InferContext} have no overloads that take one (so such a call does not compile), and this test
 * catches the ways around that in every module's main sources: a helper that takes a default
 * ({@code intAttr("axis", 0)} on anything), or {@code getOrDefault} on an attribute map.
 */
class NoReaderDefaultsTest {

    /** A reader named like Node's, called with a string literal and a second argument. */
    private static final Pattern LITERAL_DEFAULT =
            Pattern.compile("\\b(intAttr|floatAttr|strAttr|typeAttr)\\(\\s*\"[a-z_0-9]+\"\\s*,");

    private static final Pattern MAP_DEFAULT = Pattern.compile("\\battrs(\\(\\))?\\.getOrDefault\\(");

    /** The repository root: this test runs in the ir module's folder. */
    private static Path root() {
        Path here = Path.of("").toAbsolutePath();
        assertTrue(Files.isDirectory(here.resolveSibling("ir").resolve("src/main/java")), "run from ir/: " + here);
        return here.getParent();
    }

    @Test
    void noMainSourceReadsAnAttributeWithItsOwnDefault() throws IOException {
        List<String> found = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> modules = Files.list(root())) {
            for (Path module : modules.sorted().toList()) {
                Path src = module.resolve("src/main/java");
                if (!Files.isDirectory(src)) {
                    continue;
                }
                try (Stream<Path> files = Files.walk(src)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".java"))
                            .sorted()
                            .toList()) {
                        scanned++;
                        List<String> lines = read(f);
                        for (int i = 0; i < lines.size(); i++) {
                            String l = lines.get(i);
                            if (LITERAL_DEFAULT.matcher(l).find()
                                    || MAP_DEFAULT.matcher(l).find()) {
                                found.add(root().relativize(f) + ":" + (i + 1) + ": " + l.strip());
                            }
                        }
                    }
                }
            }
        }
        assertTrue(scanned > 300, "scanned only " + scanned + " files: the module layout changed");
        assertEquals(List.of(), found, "declare the default in the op's AttrSchema and read without one");
    }

    /** The pattern does match what it must refuse. */
    @Test
    void thePatternsCatchTheOldForms() {
        assertTrue(LITERAL_DEFAULT.matcher("long a = n.intAttr(\"axis\", 0);").find());
        assertTrue(LITERAL_DEFAULT.matcher("ctx.strAttr(\"mode\", \"TF\")").find());
        assertTrue(MAP_DEFAULT.matcher("attrs.getOrDefault(\"auto_pad\", x)").find());
        assertTrue(!LITERAL_DEFAULT.matcher("long a = n.intAttr(\"axis\");").find());
    }

    private static List<String> read(Path f) {
        try {
            return Files.readAllLines(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
