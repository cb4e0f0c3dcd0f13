package fsc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/**
 * One CLI call in-process: its exit code and what it wrote. Commands that stream (run, generate,
 * progress) write to {@code System.out}/{@code System.err} as well as picocli's writers, so both are
 * captured.
 */
record CliRun(int exit, String out, String err) {
    static synchronized CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        ByteArrayOutputStream sysOut = new ByteArrayOutputStream();
        ByteArrayOutputStream sysErr = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
            rc = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        return new CliRun(
                rc, sysOut.toString(StandardCharsets.UTF_8) + out, sysErr.toString(StandardCharsets.UTF_8) + err);
    }

    /** Exit 2 and exactly one stderr line, {@code fsc: error: ...} containing {@code part}. */
    CliRun assertOneLineError(String part) {
        assertEquals(2, exit, "exit code; stderr: " + err);
        String e = err.strip();
        assertEquals(1, e.lines().count(), "one line on stderr: " + err);
        assertTrue(e.startsWith("fsc: error: "), err);
        assertTrue(e.contains(part), "expected '" + part + "' in: " + err);
        return this;
    }
}
