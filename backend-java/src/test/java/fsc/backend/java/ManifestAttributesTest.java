package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

/**
 * Resources under {@link JavaBackend#MANIFEST_ATTRIBUTE_PREFIX} become manifest attributes that the
 * JDK's own manifest parser reads back whole: long values wrapped at 72 bytes, multi-byte characters
 * never split, line breaks in the value flattened.
 */
class ManifestAttributesTest {
    @Test
    void longValuesWrapAndReadBackWhole() throws Exception {
        String value = "quantize int8: 3 int8, 0 int4 of 3 layers; weights 0.1 MB -> 0.0 MB; lowest row cosine"
                + " 0.99983 — “quoted” ünïcödé ".repeat(3);
        TreeMap<String, byte[]> resources = new TreeMap<>();
        resources.put(
                JavaBackend.MANIFEST_ATTRIBUTE_PREFIX + "Fsc-Quantization", value.getBytes(StandardCharsets.UTF_8));
        resources.put(
                JavaBackend.MANIFEST_ATTRIBUTE_PREFIX + "Fsc-Other", "two\nlines".getBytes(StandardCharsets.UTF_8));
        resources.put("fsc/quant-report.md", new byte[] {1});
        JarPacker.Contents c = new JarPacker.Contents(
                "p.Main", "p.Model", new TreeMap<>(), new TreeMap<>(), "{}", new byte[0], resources);
        String text = JarPacker.manifest(c);
        for (String line : text.split("\r\n")) {
            assertTrue(line.getBytes(StandardCharsets.UTF_8).length <= 72, "line over 72 bytes: " + line);
        }
        Manifest m = new Manifest(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        assertEquals(value, m.getMainAttributes().getValue("Fsc-Quantization"));
        assertEquals("two lines", m.getMainAttributes().getValue("Fsc-Other"));
        assertEquals("p.Main", m.getMainAttributes().getValue("Main-Class"));
        assertTrue(!text.contains("quant-report"), "plain resources stay entries: " + text);
    }
}
