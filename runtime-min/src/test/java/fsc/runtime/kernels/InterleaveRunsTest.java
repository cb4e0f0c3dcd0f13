package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link InterleaveRuns} against the definition {@code y[i·f + j] = x[j·stride + i]}, bit for bit, on
 * random 32-bit patterns (NaN payloads included: the kernel moves bits): repeats (stride 0) by the
 * vector factors and one past them, zips of two runs (stride ≥ n, as depth-to-space has, and runs
 * that overlap in x), the scalar path (f = 3 with a stride), whole vectors, tails of every size, odd
 * offsets, and nothing written outside the output run.
 */
class InterleaveRunsTest {
    @ParameterizedTest
    @CsvSource({
        "80, 0, 2, 0, 0",
        "40, 0, 2, 3, 5",
        "1, 0, 2, 0, 0",
        "17, 0, 2, 1, 2",
        "33, 0, 3, 0, 7",
        "64, 0, 4, 4, 0",
        "31, 0, 5, 2, 1",
        "48, 0, 8, 0, 3",
        "20, 0, 9, 1, 1",
        "5, 0, 1, 0, 0",
        "0, 0, 2, 0, 0",
        "80, 6400, 2, 0, 0",
        "160, 25600, 2, 7, 3",
        "37, 40, 2, 1, 0",
        "40, 7, 2, 0, 1",
        "33, 50, 3, 2, 2",
        "16, 16, 2, 0, 0"
    })
    void matchesTheDefinition(int n, long stride, int f, int xOff, int yOff) {
        Random rnd = new Random(n * 31L + f * 7L + stride);
        try (Arena arena = Arena.ofConfined()) {
            long xn = xOff + (f - 1) * stride + n + 1;
            long yn = yOff + (long) n * f + 7;
            MemorySegment x = arena.allocate(4 * xn, 64);
            MemorySegment y = arena.allocate(4 * yn, 64);
            for (long i = 0; i < xn; i++) {
                x.setAtIndex(ValueLayout.JAVA_INT, i, rnd.nextInt());
            }
            y.fill((byte) 0x5a);
            InterleaveRuns.run(x, xOff, stride, y, yOff, n, f);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < f; j++) {
                    int want = x.getAtIndex(ValueLayout.JAVA_INT, xOff + j * stride + i);
                    int got = y.getAtIndex(ValueLayout.JAVA_INT, yOff + (long) i * f + j);
                    assertEquals(want, got, n + "×" + f + " stride " + stride + " at (" + i + ", " + j + ")");
                }
            }
            for (long i = 0; i < yOff; i++) {
                assertEquals(0x5a5a5a5a, y.getAtIndex(ValueLayout.JAVA_INT, i), "before the run at " + i);
            }
            for (long i = yOff + (long) n * f; i < yn; i++) {
                assertEquals(0x5a5a5a5a, y.getAtIndex(ValueLayout.JAVA_INT, i), "after the run at " + i);
            }
        }
    }
}
