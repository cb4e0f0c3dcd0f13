package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The string ops compiled by the Java backend (runtime {@code StringKernels}) against the reference
 * interpreter ({@code fsc.ir.interp.StringKernels}), on text chosen for the edge cases: empty strings,
 * runs of delimiters and whitespace, non-ASCII case changes, stopwords in other case, broadcasting.
 */
class StringOpsTest {
    @TempDir
    Path dir;

    private static TensorType strings(long... dims) {
        return TensorType.of(DType.STRING, dims);
    }

    private static Map<String, Attr> attrs(Object... kv) {
        Map<String, Attr> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Attr) kv[i + 1]);
        }
        return m;
    }

    private static Attr extent(GraphBuilder b, String sym, long bound) {
        b.symbol(sym, bound);
        return new Attr.Dims(List.of(Dim.sym(sym)));
    }

    private static Graph graph() {
        GraphBuilder b = new GraphBuilder("strings");
        Value w = b.input("w", strings(6));
        Value s = b.input("s", strings(1));
        Value k = b.input("k", TensorType.of(DType.I64, 2, 3));
        b.output(b.node(
                "string_normalizer",
                "norm",
                List.of(w),
                attrs(
                        "case_change_action", new Attr.Str("UPPER"),
                        "stopwords", new Attr.Strs(List.of("monday", "")),
                        "extent", extent(b, "norm_extent", 6))));
        for (Value v : b.node(
                "string_split",
                "split",
                List.of(w),
                attrs("delimiter", new Attr.Str("--"), "extent", extent(b, "split_extent", 1000)),
                List.of("pieces", "counts"))) {
            b.output(v);
        }
        for (Value v : b.node(
                "string_split",
                "words",
                List.of(w),
                attrs("maxsplit", new Attr.Int(1), "extent", extent(b, "words_extent", 2)),
                List.of("wpieces", "wcounts"))) {
            b.output(v);
        }
        b.output(b.node("string_concat", "cat", List.of(w, s), Map.of()));
        Value suffixes = b.constant(
                "suffixes",
                new fsc.ir.WeightData(
                        DType.STRING, List.of(6L), fsc.ir.StringData.encode(List.of("", "1", "é", "中文", "--", " "))));
        b.output(b.node("string_concat", "cat_const", List.of(suffixes, w), Map.of()));
        b.output(b.node("string_equal", "eq", List.of(w, s), Map.of()));
        Value grid = b.node("reshape", "grid", List.of(w), attrs("shape", Attr.ints(2, 3)));
        b.output(b.node(
                "string_concat",
                "grid_cat",
                List.of(grid, b.node("identity", "same", List.of(grid), Map.of())),
                Map.of()));
        b.output(b.node("regex_full_match", "re", List.of(w), attrs("pattern", new Attr.Str("[a-z]+(--[a-z]*)*"))));
        b.output(b.node(
                "label_encoder",
                "ids",
                List.of(w),
                attrs(
                        "keys_strings", new Attr.Strs(List.of("Monday", "a--b", "")),
                        "values_ints", Attr.ints(7, 8, 9),
                        "default_int", new Attr.Int(-5),
                        "to", new Attr.Type(DType.I16))));
        b.output(b.node(
                "label_encoder",
                "names",
                List.of(k),
                attrs(
                        "keys_ints", Attr.ints(1, 2, 3),
                        "values_strings", new Attr.Strs(List.of("one", "two", "three")),
                        "to", new Attr.Type(DType.STRING))));
        return b.build();
    }

    private static Map<String, HostTensor> inputs(String[] words, String suffix, long... ks) {
        Map<String, HostTensor> in = new LinkedHashMap<>();
        in.put("w", HostTensor.ofStrings(new long[] {6}, words));
        in.put("s", HostTensor.ofStrings(new long[] {1}, suffix));
        in.put("k", HostTensor.ofLongs(new long[] {2, 3}, ks));
        return in;
    }

    @Test
    void compiledStringOpsMatchTheInterpreter() throws Exception {
        try (ModelHarness h = ModelHarness.compile(graph(), dir, 1)) {
            h.assertMatchesInterpreter(
                    inputs(
                            new String[] {"Monday", "a--b", "", "x----y--", "straße ß", "  two  words here "},
                            "--",
                            1,
                            2,
                            3,
                            4,
                            0,
                            2),
                    0);
            // A second call with other text: the extents change, the model must not reuse the first result.
            Map<String, HostTensor> second =
                    inputs(new String[] {"monday", "MONDAY", "z", "q", "i", "--"}, "z", 3, 3, 3, 3, 3, 3);
            h.assertMatchesInterpreter(second, 0);
            HostTensor norm = h.run(second).get("norm");
            assertArrayEquals(new long[] {4}, norm.shape());
            assertArrayEquals(new String[] {"Z", "Q", "I", "--"}, norm.toStringArray());
        }
    }

    @Test
    void pythonSplitSemantics() throws Exception {
        try (ModelHarness h = ModelHarness.compile(graph(), dir, 1)) {
            Map<String, HostTensor> out =
                    h.run(inputs(new String[] {"a--b", "--", "", "x----y", " p  q r ", "   "}, "", 1, 1, 1, 1, 1, 1));
            HostTensor pieces = out.get("pieces");
            assertArrayEquals(new long[] {6, 3}, pieces.shape());
            assertArrayEquals(
                    new String[] {"a", "b", "", "", "", "", "", "", "", "x", "", "y", " p  q r ", "", "", "   ", "", ""
                    },
                    pieces.toStringArray());
            assertArrayEquals(new long[] {2, 2, 1, 3, 1, 1}, out.get("counts").toLongArray());
            // Whitespace mode, maxsplit 1: the rest stays whole, trailing whitespace kept (as Python's split).
            HostTensor words = out.get("wpieces");
            assertArrayEquals(new long[] {6, 2}, words.shape());
            assertEquals("p", words.getString(8));
            assertEquals("q r ", words.getString(9));
            assertArrayEquals(new long[] {1, 1, 0, 1, 2, 0}, out.get("wcounts").toLongArray());
        }
    }

    @Test
    void nonStringOpsOnStringsAreRefused() {
        GraphBuilder b = new GraphBuilder("refused");
        Value w = b.input("w", strings(3));
        b.output(b.node("transpose", "t", List.of(w), attrs("perm", Attr.ints(0))));
        FscException e = assertThrows(FscException.class, () -> JavaKernelSupport.check(b.build()));
        assertTrue(e.getMessage().contains("no kernel for transpose(string)"), e.getMessage());
    }
}
