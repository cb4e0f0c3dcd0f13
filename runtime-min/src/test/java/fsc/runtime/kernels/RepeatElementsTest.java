package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link RepeatElements} against the definition {@code y[i·f + j] = x[i]}, bit for bit, on random
 * 32-bit patterns (NaN payloads included: the kernel moves bits): whole vectors, tails of every
 * size, the vector factors and one past them (the scalar path), odd offsets, and nothing written
 * outside the output run.
 */
class RepeatElementsTest {
    @ParameterizedTest
    @CsvSource({
        "80, 2, 0, 0",
        "40, 2, 3, 5",
        "1, 2, 0, 0",
        "17, 2, 1, 2",
        "33, 3, 0, 7",
        "64, 4, 4, 0",
        "31, 5, 2, 1",
        "48, 8, 0, 3",
        "20, 9, 1, 1",
        "5, 1, 0, 0",
        "0, 2, 0, 0"
    })
    void matchesTheDefinition(int n, int f, int xOff, int yOff) {
        Random rnd = new Random(n * 31L + f);
        try (Arena arena = Arena.ofConfined()) {
            long yn = yOff + (long) n * f + 7;
            MemorySegment x = arena.allocate(4L * (xOff + n + 1), 64);
            MemorySegment y = arena.allocate(4 * yn, 64);
            for (long i = 0; i < xOff + n + 1; i++) {
                x.setAtIndex(ValueLayout.JAVA_INT, i, rnd.nextInt());
            }
            y.fill((byte) 0x5a);
            RepeatElements.run(x, xOff, y, yOff, n, f);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < f; j++) {
                    int want = x.getAtIndex(ValueLayout.JAVA_INT, xOff + i);
                    int got = y.getAtIndex(ValueLayout.JAVA_INT, yOff + (long) i * f + j);
                    assertEquals(want, got, n + "×" + f + " at (" + i + ", " + j + ")");
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
