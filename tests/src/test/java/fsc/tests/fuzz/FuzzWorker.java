package fsc.tests.fuzz;

import fsc.cli.Main;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * A JVM that runs {@code fsc} commands for {@link MutationRun}, one per stdin line (arguments
 * separated by tabs), so thousands of mutants do not each pay a JVM start. For each it writes the
 * exit code and everything the command printed to stderr (the CLI's writer and stray
 * {@code System.err} output together). The parent kills and restarts it when a command overruns its
 * time limit, so a hang is seen as a hang; it runs with the launcher's flags and a 1 GB heap.
 */
public final class FuzzWorker {
    private FuzzWorker() {}

    public static void main(String[] args) throws Exception {
        DataOutputStream reply = new DataOutputStream(new PrintStream(System.out, false));
        PrintStream originalOut = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            captured.reset();
            PrintWriter err = new PrintWriter(capture, true);
            PrintWriter out = new PrintWriter(java.io.OutputStream.nullOutputStream(), true);
            int code;
            try {
                code = Main.execute(out, err, line.split("\t"));
            } catch (Throwable t) {
                // Main handles every exception; what reaches here (an Error thrown while handling) is a crash.
                capture.println("worker: uncaught " + t);
                code = 99;
            }
            err.flush();
            capture.flush();
            byte[] text = captured.toByteArray();
            reply.writeInt(code);
            reply.writeInt(text.length);
            reply.write(text);
            reply.flush();
            originalOut.flush();
        }
    }
}
