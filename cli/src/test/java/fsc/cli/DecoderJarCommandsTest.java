package fsc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A decoder jar's graph inputs (block_table, kv_cache, ...) are the paged cache's internals:
 * {@code run} and encoder-mode {@code bench} point to {@code generate} and the decoder tests instead
 * of asking for them, and {@code generate} says when the context cut it short.
 */
class DecoderJarCommandsTest {
    @TempDir
    static Path dir;

    static Path jar;

    static Path gguf;

    @BeforeAll
    static void compile() {
        Path gguf = Path.of(System.getProperty("fsc.shared.data", "../../shared/data"), "gguf", "stories260K.gguf");
        assertTrue(Files.isRegularFile(gguf), gguf + " is missing (../shared/data beside the repository)");
        DecoderJarCommandsTest.gguf = gguf;
        jar = dir.resolve("stories.jar");
        CliRun r = CliRun.of("compile", gguf.toString(), "-o", jar.toString(), "--max-context", "64", "-q");
        assertEquals(0, r.exit(), r.err());
    }

    @Test
    void runPointsToGenerate() {
        CliRun r = CliRun.of("run", jar.toString(), "--input", "block_table=x.npy");
        r.assertOneLineError("is a decoder");
        assertTrue(r.err().contains("fsc generate " + jar), r.err());
        assertTrue(!r.err().contains("kv_cache") && !r.err().contains("block_table"), r.err());
    }

    @Test
    void encoderBenchOptionsPointToTheDecoderTests() {
        CliRun.of("bench", jar.toString(), "--batch", "2").assertOneLineError("-p N prefill and -n N decode");
    }

    @Test
    void benchRunsEveryTestAtEveryDepthAndNamesThemAsLlamaBenchDoes() {
        CliRun r =
                CliRun.of("bench", jar.toString(), "-p", "8", "-n", "4", "-d", "0,16", "-r", "2", "--warmup-max", "2");
        assertEquals(0, r.exit(), r.err());
        for (String test : List.of("pp8", "tg4", "pp8 @ d16", "tg4 @ d16")) {
            assertTrue(
                    r.out().lines().anyMatch(l -> l.matches(".*\\|\\s+" + test + " \\|.*")), test + " in\n" + r.out());
        }
        assertTrue(r.err().contains("prefilling a context of 16 tokens"), r.err());
    }

    @Test
    void benchReadsZeroAsNoTestAsLlamaBenchDoes() {
        CliRun r = CliRun.of("bench", jar.toString(), "-p", "0", "-n", "4", "-r", "1", "--warmup-max", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("tg4") && !r.out().contains("pp"), r.out());
        CliRun.of("bench", jar.toString(), "-p", "0", "-n", "0").assertOneLineError("leave no test to run");
    }

    /**
     * {@code --rounds 2} runs fsc's tests and the peer in turn twice per thread count: the peer (a
     * script standing in for llama-bench, printing its table with the thread count it was given)
     * runs once per round and thread count, and the ratio table gives the rounds' range.
     */
    @Test
    void roundsAlternateFscWithThePeer() throws Exception {
        Path log = dir.resolve("peer-calls.txt");
        Path peer = dir.resolve("fake-llama-bench.sh");
        Files.writeString(
                peer,
                """
                #!/bin/sh
                t=1; while [ $# -gt 0 ]; do [ "$1" = -t ] && t=$2; shift; done
                echo "t=$t" >> %s
                echo '| model | size | params | backend | threads | test | t/s |'
                echo '| --- | ---: | ---: | --- | ---: | ---: | ---: |'
                echo "| llama | 1 MiB | 0.29 M | CPU | $t | tg4 | 1000.00 ± 1.00 |"
                """
                        .formatted(log));
        assertTrue(peer.toFile().setExecutable(true));
        CliRun r = CliRun.of(
                "bench",
                jar.toString(),
                "-p",
                "0",
                "-n",
                "4",
                "-t",
                "1,2",
                "-r",
                "1",
                "--rounds",
                "2",
                "--warmup-max",
                "1",
                "--gguf",
                gguf.toString(),
                "--peer",
                "llama-bench=" + peer);
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("t=1", "t=1", "t=2", "t=2"), Files.readAllLines(log));
        assertTrue(r.out().contains("per-round min–max"), r.out());
        assertTrue(
                r.out()
                                .lines()
                                .filter(l -> l.matches("\\| [12] \\| tg4 \\| .*–.* \\|"))
                                .count()
                        == 2,
                r.out());
        CliRun.of("bench", jar.toString(), "-n", "4", "--rounds", "2").assertOneLineError("no peer is given");
    }

    @Test
    void benchRefusesADepthThatLeavesNoRoomForTheTest() {
        CliRun.of("bench", jar.toString(), "-n", "8", "-d", "60").assertOneLineError("after -d 60 is outside 1..64");
    }

    @Test
    void maxTokensPastTheContextWarnsOnOneLine() {
        CliRun r = CliRun.of(
                "generate",
                jar.toString(),
                "--prompt",
                "Once upon a time",
                "--max-tokens",
                "200",
                "--temperature",
                "0");
        assertEquals(0, r.exit(), r.err());
        List<String> warnings =
                r.err().lines().filter(l -> l.startsWith("fsc: warning: ")).toList();
        assertEquals(1, warnings.size(), r.err());
        assertTrue(
                warnings.get(0).contains("of --max-tokens 200")
                        && warnings.get(0).contains("64-position context"),
                warnings.get(0));
    }

    @Test
    void noWarningWhenTheContextHoldsTheRequest() {
        CliRun r = CliRun.of(
                "generate", jar.toString(), "--prompt", "Once upon a time", "--max-tokens", "8", "--temperature", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().lines().noneMatch(l -> l.contains("warning")), r.err());
    }

    @Test
    void generateOnAnEncoderJarPointsToRun() throws Exception {
        Path notDecoder = dir.resolve("tiny.jar");
        ProfileAndBenchCommandTest.compileTiny(notDecoder);
        CliRun.of("generate", notDecoder.toString(), "--prompt", "x").assertOneLineError("fsc run ");
    }
}
