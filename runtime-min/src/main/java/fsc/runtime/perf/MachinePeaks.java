package fsc.runtime.perf;

import java.util.Locale;

/**
 * This machine's measured ceilings for {@code fsc profile}: f32 FMA GFLOP/s ({@link FmaPeak}) and
 * DRAM bandwidth ({@link StreamBandwidth}), both with the thread count the model runs with.
 */
public record MachinePeaks(int threads, double fmaGflops, double readGBs, double triadGBs, long streamBytes) {
    /** 1.5 GB over three arrays: five times the 300 MB L3 of the Xeons this was written on. */
    public static final long DEFAULT_STREAM_BYTES = 1_536L << 20;

    /** Measures both peaks (about two seconds). */
    public static MachinePeaks measure(int threads, long streamBytes) {
        double fma = FmaPeak.gflops(threads, 20_000_000, 7);
        StreamBandwidth.Result bw = StreamBandwidth.measure(threads, streamBytes, 5);
        return new MachinePeaks(threads, fma, bw.readGBs(), bw.triadGBs(), bw.arrayBytes());
    }

    /** One line, e.g. for a report header. */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "machine peaks (%d thread%s): f32 FMA %.1f GFLOP/s (Vector API, %d lanes, %d chains/thread, best of 7);"
                        + " DRAM read %.1f GB/s, triad %.1f GB/s (STREAM-style, 3 arrays, %.2f GB total, best of 5)",
                threads,
                threads == 1 ? "" : "s",
                fmaGflops,
                FmaPeak.lanes(),
                FmaPeak.CHAINS,
                readGBs,
                triadGBs,
                streamBytes / 1e9);
    }
}
