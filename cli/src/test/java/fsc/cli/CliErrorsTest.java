package fsc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import fsc.ir.FscException;
import fsc.runtime.RuntimeFailure;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Every error the CLI prints has one shape: {@code fsc: error: ...}, one line, exit code 2. */
class CliErrorsTest {
    @TempDir
    Path dir;

    @Test
    void aMistypedCommandGetsOneLineAndASuggestion() {
        CliRun.of("comple", "model.onnx")
                .assertOneLineError("unknown command 'comple' (did you mean 'compile'?); see 'fsc --help'");
        CliRun.of("genrate").assertOneLineError("(did you mean 'generate'?)");
    }

    @Test
    void aMistypedOptionGetsOneLineAndASuggestion() {
        CliRun.of("compile", "--targt", "java", "m.onnx")
                .assertOneLineError("compile: unknown option '--targt' (did you mean '--target'?)");
        CliRun.of("generate", "m.jar", "--prompt", "x", "--max-token=3")
                .assertOneLineError("unknown option '--max-token' (did you mean '--max-tokens'?)");
    }

    @Test
    void everyCommandReportsUsageErrorsInTheSameShape() {
        var commands = new CommandLine(new Main()).getSubcommands();
        for (var e : commands.entrySet()) {
            String c = e.getKey();
            if (c.equals("help")) {
                continue;
            }
            // Fill the required positionals and options, so the unknown option is the only thing wrong.
            List<String> args = new java.util.ArrayList<>(List.of(c));
            for (var p : e.getValue().getCommandSpec().positionalParameters()) {
                for (int i = 0; i < p.arity().min(); i++) {
                    args.add("x");
                }
            }
            for (var o : e.getValue().getCommandSpec().requiredArgs()) {
                if (o instanceof CommandLine.Model.OptionSpec opt) {
                    args.add(opt.longestName());
                    args.add("x");
                }
            }
            args.add("--no-such-option");
            CliRun.of(args.toArray(String[]::new)).assertOneLineError(c + ": unknown option '--no-such-option'");
        }
    }

    /** An accuracy budget of the other kind of model, or a malformed one, is one line (exit 2). */
    @Test
    void aBudgetOfTheWrongKindIsOneLine(@TempDir Path dir) throws Exception {
        Path onnx = Files.createFile(dir.resolve("m.onnx"));
        CliRun.of("compile", onnx.toString(), "--quantize", "auto", "--accuracy-budget", "kl=0.01")
                .assertOneLineError("--accuracy-budget kl=0.01 applies to GGUF decoders");
        CliRun.of("compile", onnx.toString(), "--quantize", "auto", "--accuracy-budget", "kl=")
                .assertOneLineError("--accuracy-budget kl=: '' is not a number");
        Path gguf = Files.createFile(dir.resolve("m.gguf"));
        CliRun.of("compile", gguf.toString(), "--quantize", "auto", "--accuracy-budget", "cos=0.99")
                .assertOneLineError("a GGUF decoder's budget is the mean KL divergence");
    }

    /** The report's timing switches: refused in one line (exit 2) where they do not apply, before any work. */
    @Test
    void timingOptionsThatDoNotApplyAreOneLine(@TempDir Path dir) throws Exception {
        Path onnx = Files.createFile(dir.resolve("m.onnx"));
        CliRun.of("compile", onnx.toString(), "--no-quant-speed")
                .assertOneLineError("--no-quant-speed applies with --quantize");
        CliRun.of("compile", onnx.toString(), "--quant-threads", "2")
                .assertOneLineError("--quant-threads applies with --quantize");
        CliRun.of("compile", onnx.toString(), "--quantize", "int8", "--quant-threads", "0")
                .assertOneLineError("--quant-threads 0 must be 1 to 256");
        CliRun.of("compile", onnx.toString(), "--quantize", "int8", "--no-quant-speed", "--quant-threads", "2")
                .assertOneLineError("--quant-threads does not combine with --no-quant-speed");
        Path gguf = Files.createFile(dir.resolve("m.gguf"));
        CliRun.of("compile", gguf.toString(), "--quantize", "q8_0", "--no-quant-speed")
                .assertOneLineError("--no-quant-speed applies to ONNX models");
    }

    @Test
    void aMissingParameterIsOneLine() {
        CliRun.of("compile").assertOneLineError("compile: missing required parameter: 'MODEL'");
    }

    @Test
    void aFileThatIsNotOnnxIsSaidInPlainWords() throws Exception {
        Path junk = dir.resolve("notes.onnx");
        Files.writeString(junk, "these are my notes, not a model\n", StandardCharsets.UTF_8);
        CliRun r = CliRun.of("inspect", junk.toString());
        r.assertOneLineError("notes.onnx: not a valid ONNX model: its bytes do not parse as one");
        assertFalse(r.err().toLowerCase().contains("protocol message"), r.err());
    }

    @Test
    void aDirectoryGivenAsModelSaysWhyItCannotBeRead() throws Exception {
        Path d = Files.createDirectory(dir.resolve("folder.onnx"));
        CliRun.of("inspect", d.toString()).assertOneLineError("cannot read " + d + ": is a directory");
    }

    @Test
    void ioReasonsReplaceTheJdksBarePath() {
        // What runtime readers throw for a missing file: "cannot read X: " + e.getMessage(), which is X.
        NoSuchFileException missing = new NoSuchFileException("ids.npy");
        assertEquals(
                "cannot read ids.npy: no such file or directory",
                ErrorLine.userMessage(new RuntimeFailure("cannot read ids.npy: " + missing.getMessage(), missing)));
        AccessDeniedException denied = new AccessDeniedException("out/y.npy");
        assertEquals(
                "cannot write out/y.npy: permission denied",
                ErrorLine.userMessage(new RuntimeFailure("cannot write out/y.npy: " + denied.getMessage(), denied)));
        assertEquals("x.jar: no such file or directory", ErrorLine.userMessage(new NoSuchFileException("x.jar")));
    }

    /**
     * A message echoing bytes of a bad input stays one printable line: NUL made the launcher's grep
     * print only "binary file matches", and an escape sequence would reach the terminal.
     */
    @Test
    void nonPrintableBytesInMessagesAreEscaped() {
        assertEquals(
                "x.fsir:1:1: unexpected text 'a\\x00b\\x1b[2J\\u{fffd}' \\x07 t\\x09ab",
                ErrorLine.userMessage(
                        new FscException("x.fsir:1:1: unexpected text 'a\u0000b\u001b[2J\ufffd'\n\u0007 t\tab")));
        assertEquals("plain ünïcödé stays", ErrorLine.oneLine("plain ünïcödé stays"));
        assertEquals("lone \\u{d800} surrogate", ErrorLine.oneLine("lone \ud800 surrogate"));
    }

    @Test
    void brokenInvariantsAreNotUserErrors() {
        assertNull(ErrorLine.userMessage(new IllegalStateException("pass fold: expected 2 inputs")));
    }

    @Test
    void suggestionsComeFromEditDistanceAndOnlyWhenClose() {
        List<String> names = List.of("compile", "opt", "run", "generate", "serve", "inspect");
        assertEquals("compile", Suggest.closest("compiel", names));
        assertEquals("inspect", Suggest.closest("insepct", names));
        assertEquals("generate", Suggest.closest("gen", names));
        assertNull(Suggest.closest("xyzzy", names));
        assertEquals(3, Suggest.distance("kitten", "sitting"));
        assertEquals(0, Suggest.distance("", ""));
    }
}
