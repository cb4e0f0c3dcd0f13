package fsc.runtime.kernels;

import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The ONNX string ops over a tensor's {@code String[]} (row-major), called by generated code. Strings
 * live on the Java heap, never in the activation arena, so these allocate their results per call.
 * The interpreter's {@code fsc.ir.interp.StringKernels} is the independent reference they are
 * compared with.
 */
public final class StringKernels {
    private StringKernels() {}

    // ---- tensor entries for generated code ----

    /** StringNormalizer on {@code [C]} or {@code [1, C]}: the result keeps the input's rank. */
    public static Tensor normalize(Tensor x, String[] stopwords, boolean caseSensitive, int caseAction, String locale) {
        String[] y = normalize(x.strings(), stopwords, caseSensitive, caseAction, locale);
        return Tensor.ofStrings(x.rank() == 1 ? new long[] {y.length} : new long[] {1, y.length}, y);
    }

    /** StringSplit: the pieces {@code [x..., width]}; the counts go to {@code counts} as i64. */
    public static Tensor split(Tensor x, String delimiter, long maxsplit, MemorySegment counts) {
        long[] n = new long[x.strings().length];
        String[] y = split(x.strings(), delimiter, maxsplit, n);
        MemorySegment.copy(
                n, 0, counts, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, n.length);
        long[] shape = Arrays.copyOf(x.shape(), x.rank() + 1);
        shape[x.rank()] = n.length == 0 ? 0 : y.length / n.length;
        return Tensor.ofStrings(shape, y);
    }

    public static Tensor concat(Tensor a, Tensor b) {
        long[] out = broadcastShape(a.shape(), b.shape());
        return Tensor.ofStrings(out, concat(a.strings(), a.shape(), b.strings(), b.shape(), out));
    }

    public static void equal(Tensor a, Tensor b, MemorySegment out) {
        equal(a.strings(), a.shape(), b.strings(), b.shape(), broadcastShape(a.shape(), b.shape()), out);
    }

    public static void fullMatch(Tensor x, Pattern pattern, MemorySegment out) {
        fullMatch(x.strings(), pattern, out);
    }

    /**
     * A string constant from its weight bytes: per element a little-endian u32 length and that many
     * UTF-8 bytes (the form of {@code fsc.ir.StringData}).
     */
    public static Tensor decode(long[] shape, MemorySegment data) {
        String[] out = new String[Math.toIntExact(Tensor.countOf(shape))];
        long at = 0;
        for (int i = 0; i < out.length; i++) {
            int len = data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at);
            byte[] bytes = data.asSlice(at + 4, len).toArray(ValueLayout.JAVA_BYTE);
            out[i] = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
            at += 4 + len;
        }
        if (at != data.byteSize()) {
            throw new RuntimeFailure("string constant has " + (data.byteSize() - at) + " bytes after its last element");
        }
        return Tensor.ofStrings(shape, out);
    }

    /** Numpy broadcasting of two shapes; a mismatch is a run-time failure naming both. */
    static long[] broadcastShape(long[] a, long[] b) {
        int rank = Math.max(a.length, b.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            long db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new RuntimeFailure(
                        "string shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    // ---- array kernels ----

    public static final int CASE_NONE = 0;
    public static final int CASE_LOWER = 1;
    public static final int CASE_UPPER = 2;

    /**
     * StringNormalizer-10: drops stopwords (compared exactly, or ignoring case in {@code locale} when
     * not case-sensitive), then changes case. All dropped gives one empty string, as ONNX Runtime does.
     */
    public static String[] normalize(
            String[] x, String[] stopwords, boolean caseSensitive, int caseAction, String locale) {
        Locale loc = locale(locale);
        Set<String> stop = new HashSet<>();
        for (String w : stopwords) {
            stop.add(caseSensitive ? w : w.toLowerCase(loc));
        }
        List<String> kept = new ArrayList<>(x.length);
        for (String s : x) {
            if (!stop.contains(caseSensitive ? s : s.toLowerCase(loc))) {
                kept.add(
                        switch (caseAction) {
                            case CASE_LOWER -> s.toLowerCase(loc);
                            case CASE_UPPER -> s.toUpperCase(loc);
                            default -> s;
                        });
            }
        }
        return kept.isEmpty() ? new String[] {""} : kept.toArray(String[]::new);
    }

    /** ONNX locales are POSIX-style ({@code en_US}); empty means the root locale. */
    static Locale locale(String locale) {
        return locale.isEmpty() ? Locale.ROOT : Locale.forLanguageTag(locale.replace('_', '-'));
    }

    /**
     * StringSplit-20, with Python's {@code str.split} semantics: a non-empty {@code delimiter} splits at
     * every occurrence (consecutive ones give empty pieces); an empty one splits on runs of whitespace
     * and drops leading and trailing whitespace. At most {@code maxsplit} splits when it is non-negative.
     * Writes each element's piece count to {@code counts} and returns the pieces, each row padded with
     * "" to the largest count ({@code result.length == x.length * width}).
     */
    public static String[] split(String[] x, String delimiter, long maxsplit, long[] counts) {
        List<List<String>> rows = new ArrayList<>(x.length);
        int width = 0;
        for (int i = 0; i < x.length; i++) {
            List<String> pieces =
                    delimiter.isEmpty() ? splitWhitespace(x[i], maxsplit) : splitOn(x[i], delimiter, maxsplit);
            rows.add(pieces);
            counts[i] = pieces.size();
            width = Math.max(width, pieces.size());
        }
        String[] out = new String[x.length * width];
        Arrays.fill(out, "");
        for (int i = 0; i < x.length; i++) {
            List<String> r = rows.get(i);
            for (int j = 0; j < r.size(); j++) {
                out[i * width + j] = r.get(j);
            }
        }
        return out;
    }

    private static List<String> splitOn(String s, String delimiter, long maxsplit) {
        List<String> out = new ArrayList<>();
        int from = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.indexOf(delimiter, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + delimiter.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static List<String> splitWhitespace(String s, long maxsplit) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (true) {
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i == n) {
                break;
            }
            if (maxsplit >= 0 && out.size() == maxsplit) {
                // Python keeps the rest whole as the last piece, trailing whitespace included.
                out.add(s.substring(i));
                break;
            }
            int start = i;
            while (i < n && !Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            out.add(s.substring(start, i));
        }
        return out;
    }

    /** StringConcat-20: {@code a + b} elementwise, numpy broadcasting to {@code outShape}. */
    public static String[] concat(String[] a, long[] aShape, String[] b, long[] bShape, long[] outShape) {
        String[] out = new String[Math.toIntExact(count(outShape))];
        for (int i = 0; i < out.length; i++) {
            out[i] = a[broadcastIndex(outShape, aShape, i)].concat(b[broadcastIndex(outShape, bShape, i)]);
        }
        return out;
    }

    /** Equal-19 on strings: {@code out[i] = a == b} (byte 1 or 0), broadcasting. */
    public static void equal(String[] a, long[] aShape, String[] b, long[] bShape, long[] outShape, MemorySegment out) {
        long n = count(outShape);
        for (int i = 0; i < n; i++) {
            boolean eq = a[broadcastIndex(outShape, aShape, i)].equals(b[broadcastIndex(outShape, bShape, i)]);
            out.set(ValueLayout.JAVA_BYTE, i, (byte) (eq ? 1 : 0));
        }
    }

    /**
     * RegexFullMatch-20: whether all of each element matches. ONNX names RE2 syntax; {@code
     * java.util.regex} accepts a superset (backreferences, lookaround), and for RE2's syntax it matches
     * alike with {@code \w}, {@code \d}, {@code \b} ASCII-only in both.
     */
    public static void fullMatch(String[] x, Pattern pattern, MemorySegment out) {
        for (int i = 0; i < x.length; i++) {
            out.set(ValueLayout.JAVA_BYTE, i, (byte) (pattern.matcher(x[i]).matches() ? 1 : 0));
        }
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** The flat index in a tensor of {@code inShape} that element {@code flat} of {@code outShape} reads. */
    static int broadcastIndex(long[] outShape, long[] inShape, long flat) {
        long index = 0;
        long stride = 1;
        long rest = flat;
        int shift = outShape.length - inShape.length;
        for (int d = outShape.length - 1; d >= 0; d--) {
            long coord = rest % outShape[d];
            rest /= outShape[d];
            int k = d - shift;
            if (k >= 0) {
                if (inShape[k] != 1) {
                    index += coord * stride;
                }
                stride *= inShape[k];
            }
        }
        return (int) index;
    }
}
