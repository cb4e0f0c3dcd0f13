package fsc.tests.llm;

import fsc.frontend.gguf.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Writes a synthetic LLaMA GGUF (random weights, byte-fallback vocabulary) for experiments outside
 * the suite, e.g. the serving measurements of docs/SERVING.md, where a model whose weights do not
 * fit in cache is needed. A tool, not a test (tagged {@code bench}):
 *
 * <pre>{@code
 * ./mvnw -B -Pbench -pl tests -am test -Dtest=WriteSyntheticLlama -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dfsc.synth.out=/tmp/synth.gguf -Dfsc.synth.dim=1024 -Dfsc.synth.layers=8 -Dfsc.synth.type=Q4_0
 * }</pre>
 */
@Tag("bench")
class WriteSyntheticLlama {
    @Test
    void write() throws Exception {
        Path out = Path.of(System.getProperty("fsc.synth.out", "target/synth-llama.gguf"))
                .toAbsolutePath();
        int dim = Integer.getInteger("fsc.synth.dim", 1024);
        SyntheticLlama model = new SyntheticLlama(
                dim,
                Integer.getInteger("fsc.synth.layers", 8),
                Integer.getInteger("fsc.synth.heads", 16),
                Integer.getInteger("fsc.synth.kvHeads", 4),
                Integer.getInteger("fsc.synth.ffn", dim * 11 / 4),
                Integer.getInteger("fsc.synth.vocab", 4096),
                1);
        GgmlType type = GgmlType.valueOf(System.getProperty("fsc.synth.type", "Q4_0"));
        Files.createDirectories(out.getParent());
        model.write(out, name -> type);
        System.out.printf("wrote %s (%s, %,d bytes): %s%n", out, type, Files.size(out), model);
    }
}
