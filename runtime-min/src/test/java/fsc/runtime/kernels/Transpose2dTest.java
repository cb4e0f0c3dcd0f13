package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Transpose2d} against the element-by-element definition, bit for bit, on random 32-bit
 * patterns (NaN payloads included: the kernel moves bits): whole tiles, edges of every size, strides
 * wider than the matrix (a slice of a larger tensor) and odd offsets.
 */
class Transpose2dTest {
    @ParameterizedTest
    @CsvSource({
        "16, 16, 0, 0",
        "32, 48, 0, 0",
        "40, 80, 0, 0",
        "80, 40, 3, 5",
        "1, 1, 0, 0",
        "15, 17, 1, 2",
        "17, 15, 0, 7",
        "33, 5, 4, 0",
        "5, 33, 0, 4",
        "96, 80, 16, 3"
    })
    void matchesTheDefinition(int rows, int cols, int extraX, int extraY) {
        long xColStride = rows + extraX; // x[c, r] at c·xColStride + r
        long yRowStride = cols + extraY; // y[r, c] at r·yRowStride + c
        long xOff = 3;
        long yOff = 5;
        Random rnd = new Random(rows * 31L + cols);
        try (Arena arena = Arena.ofConfined()) {
            long xn = xOff + cols * xColStride;
            long yn = yOff + rows * yRowStride;
            MemorySegment x = arena.allocate(4 * xn, 64);
            MemorySegment y = arena.allocate(4 * yn, 64);
            for (long i = 0; i < xn; i++) {
                x.setAtIndex(ValueLayout.JAVA_INT, i, rnd.nextInt());
            }
            y.fill((byte) 0x5a);
            Transpose2d.run(x, xOff, xColStride, y, yOff, yRowStride, rows, cols);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    int want = x.getAtIndex(ValueLayout.JAVA_INT, xOff + r + c * xColStride);
                    int got = y.getAtIndex(ValueLayout.JAVA_INT, yOff + r * yRowStride + c);
                    assertEquals(want, got, rows + "x" + cols + " at (" + r + ", " + c + ")");
                }
            }
            // Nothing outside the rows' columns was written (the stride's gap keeps its fill).
            for (int r = 0; r < rows; r++) {
                for (long c = cols; c < yRowStride; c++) {
                    assertEquals(0x5a5a5a5a, y.getAtIndex(ValueLayout.JAVA_INT, yOff + r * yRowStride + c));
                }
            }
        }
    }
}
