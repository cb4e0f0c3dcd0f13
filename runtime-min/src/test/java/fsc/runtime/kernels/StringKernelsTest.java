package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.runtime.ElemType;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The runtime string kernels against cases worked out by hand from the ONNX reference implementation
 * (Python's {@code str.split}, {@code str.upper}); the compiled-vs-interpreter differential test is
 * {@code fsc.backend.java.StringOpsTest}.
 */
class StringKernelsTest {

    private static String[] split(String s, String delimiter, long maxsplit) {
        long[] n = new long[1];
        String[] out = StringKernels.split(new String[] {s}, delimiter, maxsplit, n);
        assertEquals(out.length, n[0]);
        return out;
    }

    @Test
    void splitFollowsPythonStrSplit() {
        assertArrayEquals(new String[] {"o", "n", "", "x", ""}, split("o-n--x-", "-", -1));
        assertArrayEquals(new String[] {""}, split("", "-", -1));
        assertArrayEquals(new String[] {}, split("", "", -1));
        assertArrayEquals(new String[] {}, split(" \t ", "", -1));
        assertArrayEquals(new String[] {"a", "b"}, split("  a \n b  ", "", -1));
        assertArrayEquals(new String[] {"a", "b c "}, split(" a  b c ", "", 1));
        assertArrayEquals(new String[] {"a", "b-c"}, split("a-b-c", "-", 1));
        assertArrayEquals(new String[] {"a-b-c"}, split("a-b-c", "-", 0));
        assertArrayEquals(new String[] {"", "", ""}, split("abab", "ab", -1));
    }

    @Test
    void splitPadsRowsAndReportsCounts() {
        MemorySegment counts = Arena.ofAuto().allocate(16);
        Tensor y = StringKernels.split(Tensor.ofStrings(new long[] {2}, "a.b.c", "d"), ".", -1, counts);
        assertArrayEquals(new long[] {2, 3}, y.shape());
        assertArrayEquals(new String[] {"a", "b", "c", "d", "", ""}, y.strings());
        assertEquals(3, counts.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        assertEquals(1, counts.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, 1));
        Tensor empty = StringKernels.split(Tensor.ofStrings(new long[] {0}), ".", -1, counts);
        assertArrayEquals(new long[] {0, 0}, empty.shape());
    }

    @Test
    void normalizeDropsStopwordsThenChangesCase() {
        String[] words = {"Monday", "tuesday", "MONDAY", "straße"};
        assertArrayEquals(
                new String[] {"TUESDAY", "STRASSE"},
                StringKernels.normalize(words, new String[] {"monday"}, false, StringKernels.CASE_UPPER, ""));
        assertArrayEquals(
                new String[] {"monday", "tuesday", "monday", "straße"},
                StringKernels.normalize(words, new String[] {"monday"}, true, StringKernels.CASE_LOWER, "en_US"));
        assertArrayEquals(
                new String[] {""},
                StringKernels.normalize(
                        new String[] {"x", "x"}, new String[] {"x"}, true, StringKernels.CASE_NONE, ""));
        // Locale-dependent case: Turkish dotted capital I.
        assertArrayEquals(
                new String[] {"İ"},
                StringKernels.normalize(new String[] {"i"}, new String[0], true, StringKernels.CASE_UPPER, "tr_TR"));
        Tensor twoDim = StringKernels.normalize(
                Tensor.ofStrings(new long[] {1, 3}, "a", "b", "a"),
                new String[] {"a"},
                true,
                StringKernels.CASE_NONE,
                "");
        assertArrayEquals(new long[] {1, 1}, twoDim.shape());
    }

    @Test
    void concatAndEqualBroadcast() {
        Tensor a = Tensor.ofStrings(new long[] {2, 1}, "x", "y");
        Tensor b = Tensor.ofStrings(new long[] {3}, "1", "", "y");
        Tensor c = StringKernels.concat(a, b);
        assertArrayEquals(new long[] {2, 3}, c.shape());
        assertArrayEquals(new String[] {"x1", "x", "xy", "y1", "y", "yy"}, c.strings());
        MemorySegment eq = Arena.ofAuto().allocate(6);
        StringKernels.equal(a, b, eq);
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 1}, eq.toArray(ValueLayout.JAVA_BYTE));
        assertThrows(RuntimeFailure.class, () -> StringKernels.concat(b, Tensor.ofStrings(new long[] {2}, "p", "q")));
    }

    @Test
    void fullMatchNeedsTheWholeString() {
        MemorySegment y = Arena.ofAuto().allocate(3);
        StringKernels.fullMatch(
                Tensor.ofStrings(new long[] {3}, "www.a.com", "xwww.a.com", "www.a.com.uk"),
                Pattern.compile("www\\.[\\w.-]+\\.\\bcom\\b"),
                y);
        assertArrayEquals(new byte[] {1, 0, 0}, y.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void labelEncoderMapsEveryKindWithItsDefault() {
        LabelEncoderTable floats = new LabelEncoderTable(
                new double[] {0.1f, Double.NaN, 0.0}, new String[] {"tenth", "nan", "zero"}, "none");
        Tensor x = Tensor.ofFloats(new long[] {4}, 0.1f, Float.NaN, -0f, 2f);
        assertArrayEquals(
                new String[] {"tenth", "nan", "zero", "none"},
                floats.toStrings(x).strings());
        LabelEncoderTable ints = new LabelEncoderTable(new String[] {"a", "b"}, new long[] {300, -2}, -1L);
        MemorySegment out = Arena.ofAuto().allocate(6);
        ints.toNumbers(Tensor.ofStrings(new long[] {3}, "b", "zz", "a"), ElemType.I16, out);
        assertArrayEquals(new short[] {-2, -1, 300}, out.toArray(ValueLayout.JAVA_SHORT));
        assertThrows(
                IllegalArgumentException.class, () -> new LabelEncoderTable(new long[] {1}, new long[] {1, 2}, 0L));
    }

    @Test
    void stringTensorsHoldTheirElements() {
        Tensor t = Tensor.allocate(ElemType.STRING, new long[] {2}, Arena.ofAuto());
        assertArrayEquals(new String[] {"", ""}, t.strings());
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofStrings(new long[] {3}, "a"));
        assertThrows(IllegalStateException.class, () -> t.getFloat(0));
        assertEquals(ElemType.STRING, ElemType.fromOnnxCode(8));
    }
}
