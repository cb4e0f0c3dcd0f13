package fsc.cli;

import fsc.ir.FscException;
import fsc.runtime.perf.MachinePeaks;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fsc peaks}: this machine's f32 FMA and DRAM bandwidth ceilings, as {@code fsc profile} measures them. */
@Command(
        name = "peaks",
        mixinStandardHelpOptions = true,
        description = {
            "Measure this machine's f32 FMA and DRAM bandwidth peaks.",
            "The f32 FMA peak (Vector API, 12 independent FMA chains per thread) and DRAM",
            "bandwidth (STREAM-style: three arrays, 1.5 GB total, read-sum and triad kernels, best of 5).",
            "",
            "Example:",
            "  fsc peaks --threads 1,2"
        })
final class PeaksCommand implements Callable<Integer> {
    @Option(
            names = {"-t", "--threads"},
            split = ",",
            defaultValue = "1",
            description = "Thread counts. Default: ${DEFAULT-VALUE}.")
    List<Integer> threads;

    @Option(
            names = "--stream-mb",
            defaultValue = "1536",
            description = "Total MB of the three arrays. Default: ${DEFAULT-VALUE}.")
    long streamMb;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (int t : threads) {
            if (t < 1 || streamMb < 1) {
                throw new FscException("--threads and --stream-mb must be positive");
            }
            out.println(MachinePeaks.measure(t, streamMb << 20).describe());
            out.flush();
        }
        return 0;
    }
}
