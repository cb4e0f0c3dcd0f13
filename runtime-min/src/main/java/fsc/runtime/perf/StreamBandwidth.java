package fsc.runtime.perf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * DRAM bandwidth measured the way McCalpin's STREAM does: three float arrays, each far larger than
 * the last-level cache, split into one contiguous part per thread, first touched by the thread that
 * will use it, every kernel run {@code trials} times and the best time kept (STREAM reports the
 * minimum over its NTIMES passes, skipping the first). Two kernels:
 *
 * <ul>
 *   <li><b>read</b>: the sum of all three arrays (only loads, four accumulators so the adds never
 *       limit), {@code 3 × n × 4} bytes per pass: the bound for inference, which mostly reads.
 *   <li><b>triad</b>: STREAM's {@code a[i] = b[i] + s × c[i]}, counted as STREAM counts it ({@code 3
 *       × n × 4} bytes, the write-allocate read of {@code a} not counted).
 * </ul>
 */
public final class StreamBandwidth {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** GB/s (10^9 bytes per second) of each kernel, and the bytes the three arrays span. */
    public record Result(double readGBs, double triadGBs, long arrayBytes, int threads, int trials) {}

    private StreamBandwidth() {}

    /**
     * Measures with three arrays of {@code totalBytes / 3} bytes each on {@code threads} threads.
     *
     * @param totalBytes at least several times the last-level cache, so each pass streams from DRAM
     */
    public static Result measure(int threads, long totalBytes, int trials) {
        if (threads < 1 || trials < 1) {
            throw new IllegalArgumentException("threads and trials must be positive");
        }
        long block = (long) F.length() * 4 * 4L * threads; // four vectors per iteration per thread
        long n = Math.max(1, totalBytes / 3 / block) * block / 4; // floats per array, divisible as needed
        long bytesPerArray = n * 4;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = arena.allocate(bytesPerArray, 64);
            MemorySegment b = arena.allocate(bytesPerArray, 64);
            MemorySegment c = arena.allocate(bytesPerArray, 64);
            long part = bytesPerArray / threads;
            // First touch by the owning thread (page placement on NUMA machines, as STREAM's OpenMP init).
            Team.run(threads, id -> {
                long off = id * part;
                a.asSlice(off, part).fill((byte) 0);
                // Bytes 0x3f give floats of about 0.75: finite, normal, so adds never slow down.
                b.asSlice(off, part).fill((byte) 0x3f);
                c.asSlice(off, part).fill((byte) 0x3f);
                return 0;
            });
            long bestRead = Long.MAX_VALUE;
            long bestTriad = Long.MAX_VALUE;
            for (int t = 0; t < trials + 1; t++) {
                long r = Team.run(
                        threads, id -> sum(a, id * part, part) + sum(b, id * part, part) + sum(c, id * part, part));
                long tr = Team.run(threads, id -> triad(a, b, c, id * part, part, 3.0f));
                if (t > 0) { // the first pass warms the JIT and the page tables, as STREAM skips its first
                    bestRead = Math.min(bestRead, r);
                    bestTriad = Math.min(bestTriad, tr);
                }
            }
            double bytes = 3.0 * bytesPerArray;
            return new Result(bytes / bestRead, bytes / bestTriad, 3 * bytesPerArray, threads, trials);
        }
    }

    /** Sum of {@code len} bytes of floats from {@code off} (a multiple of four vectors). */
    static double sum(MemorySegment s, long off, long len) {
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        long step = F.vectorByteSize();
        for (long i = off, end = off + len; i < end; i += 4 * step) {
            s0 = s0.add(FloatVector.fromMemorySegment(F, s, i, ByteOrder.LITTLE_ENDIAN));
            s1 = s1.add(FloatVector.fromMemorySegment(F, s, i + step, ByteOrder.LITTLE_ENDIAN));
            s2 = s2.add(FloatVector.fromMemorySegment(F, s, i + 2 * step, ByteOrder.LITTLE_ENDIAN));
            s3 = s3.add(FloatVector.fromMemorySegment(F, s, i + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
    }

    /** {@code a = b + q × c} over {@code len} bytes from {@code off}; returns one element so it is observable. */
    static double triad(MemorySegment a, MemorySegment b, MemorySegment c, long off, long len, float q) {
        long step = F.vectorByteSize();
        FloatVector qv = FloatVector.broadcast(F, q);
        for (long i = off, end = off + len; i < end; i += step) {
            FloatVector.fromMemorySegment(F, c, i, ByteOrder.LITTLE_ENDIAN)
                    .fma(qv, FloatVector.fromMemorySegment(F, b, i, ByteOrder.LITTLE_ENDIAN))
                    .intoMemorySegment(a, i, ByteOrder.LITTLE_ENDIAN);
        }
        return a.get(FLOAT, off);
    }
}
