package fsc.ir.interp;

import fsc.ir.DType;
import fsc.ir.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Reference kernels of the string ops (see {@code fsc.ir.ops.StringOps}), written plainly and apart
 * from the runtime's {@code StringKernels} so the two check each other. StringSplit's whitespace mode
 * goes through a regular expression here and a hand loop there.
 */
final class StringKernels {
    private StringKernels() {}

    static HostTensor normalizer(Call c) {
        Node n = c.node();
        HostTensor x = c.in(0);
        Locale loc = n.strAttr("locale").isEmpty()
                ? Locale.ROOT
                : Locale.forLanguageTag(n.strAttr("locale").replace('_', '-'));
        boolean sensitive = n.intAttr("is_case_sensitive") != 0;
        List<String> stop = n.has("stopwords") ? n.strsAttr("stopwords") : List.of();
        List<String> kept = new ArrayList<>();
        for (String s : x.toStringArray()) {
            boolean isStop = stop.stream()
                    .anyMatch(w -> sensitive ? w.equals(s) : w.toLowerCase(loc).equals(s.toLowerCase(loc)));
            if (!isStop) {
                kept.add(
                        switch (n.strAttr("case_change_action")) {
                            case "LOWER" -> s.toLowerCase(loc);
                            case "UPPER" -> s.toUpperCase(loc);
                            default -> s;
                        });
            }
        }
        if (kept.isEmpty()) {
            kept.add("");
        }
        long[] shape = x.rank() == 1 ? new long[] {kept.size()} : new long[] {1, kept.size()};
        return HostTensor.ofStrings(shape, kept.toArray(String[]::new));
    }

    static List<HostTensor> split(Call c) {
        Node n = c.node();
        HostTensor x = c.in(0);
        String delimiter = n.strAttr("delimiter");
        long maxsplit = n.has("maxsplit") ? n.intAttr("maxsplit") : -1;
        List<List<String>> rows = new ArrayList<>();
        int width = 0;
        for (String s : x.toStringArray()) {
            List<String> pieces = new ArrayList<>();
            if (delimiter.isEmpty()) {
                String rest = s.stripLeading();
                while (!rest.isEmpty()) {
                    if (maxsplit >= 0 && pieces.size() == maxsplit) {
                        pieces.add(rest);
                        break;
                    }
                    String[] two = rest.split("\\s+", 2);
                    pieces.add(two[0]);
                    rest = two.length > 1 ? two[1] : "";
                }
            } else {
                String[] all = s.split(Pattern.quote(delimiter), maxsplit >= 0 ? (int) maxsplit + 1 : -1);
                pieces.addAll(Arrays.asList(all));
            }
            rows.add(pieces);
            width = Math.max(width, pieces.size());
        }
        long[] xs = x.shape();
        long[] ys = Arrays.copyOf(xs, xs.length + 1);
        ys[xs.length] = width;
        String[] y = new String[rows.size() * width];
        HostTensor counts = HostTensor.zeros(DType.I64, xs);
        for (int i = 0; i < rows.size(); i++) {
            for (int j = 0; j < width; j++) {
                y[i * width + j] = j < rows.get(i).size() ? rows.get(i).get(j) : "";
            }
            counts.setLong(i, rows.get(i).size());
        }
        return List.of(HostTensor.ofStrings(ys, y), counts);
    }

    static HostTensor binary(Call c) {
        HostTensor a = c.in(0);
        HostTensor b = c.in(1);
        long[] out = Index.broadcastShape(a.shape(), b.shape());
        int count = (int) Index.count(out);
        boolean concat = c.node().op().equals("string_concat");
        String[] s = new String[count];
        HostTensor eq = HostTensor.zeros(DType.BOOL, out);
        for (int i = 0; i < count; i++) {
            String l = a.getString(Index.broadcast(out, a.shape(), i));
            String r = b.getString(Index.broadcast(out, b.shape(), i));
            s[i] = l + r;
            eq.setLong(i, l.equals(r) ? 1 : 0);
        }
        return concat ? HostTensor.ofStrings(out, s) : eq;
    }

    static HostTensor regexFullMatch(Call c) {
        Pattern p = Pattern.compile(c.node().strAttr("pattern"));
        HostTensor x = c.in(0);
        HostTensor y = HostTensor.zeros(DType.BOOL, x.shape());
        for (int i = 0; i < x.size(); i++) {
            y.setLong(i, p.matcher(x.getString(i)).matches() ? 1 : 0);
        }
        return y;
    }

    static HostTensor labelEncoder(Call c) {
        Node n = c.node();
        HostTensor x = c.in(0);
        List<?> keys = firstSet(n, "keys_strings", "keys_ints", "keys_floats");
        List<?> values = firstSet(n, "values_strings", "values_ints", "values_floats");
        DType to = n.typeAttr("to");
        Object dflt = n.has("values_strings")
                ? n.strAttr("default_string")
                : n.has("values_ints") ? (Object) n.intAttr("default_int") : (Object) n.floatAttr("default_float");
        HostTensor y = HostTensor.zeros(to, x.shape());
        String[] strs = new String[x.size()];
        for (int i = 0; i < x.size(); i++) {
            Object v = dflt;
            for (int k = 0; k < keys.size(); k++) {
                if (sameKey(x, i, keys.get(k))) {
                    v = values.get(k);
                    break;
                }
            }
            if (to.isString()) {
                strs[i] = (String) v;
            } else if (to.isFloat()) {
                y.setDouble(i, ((Number) v).doubleValue());
            } else {
                y.setLong(i, ((Number) v).longValue());
            }
        }
        return to.isString() ? HostTensor.ofStrings(x.shape(), strs) : y;
    }

    private static boolean sameKey(HostTensor x, int i, Object key) {
        if (x.dtype().isString()) {
            return Objects.equals(x.getString(i), key);
        }
        if (x.dtype().isFloat()) {
            float a = (float) x.getDouble(i);
            float b = (float) ((Double) key).doubleValue();
            return a == b || (Float.isNaN(a) && Float.isNaN(b));
        }
        return x.getLong(i) == (Long) key;
    }

    private static List<?> firstSet(Node n, String strs, String ints, String floats) {
        if (n.has(strs)) {
            return n.strsAttr(strs);
        }
        if (n.has(ints)) {
            return Arrays.stream(n.intsAttr(ints)).boxed().toList();
        }
        return n.floatsAttr(floats);
    }
}
