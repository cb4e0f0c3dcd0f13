package fsc.ir;

import java.util.ArrayList;
import java.util.List;

/** Types from their printed form in tests: {@code t("f32[B,S,384]")}, dims such as {@code B*S}, {@code 12*S} or {@code P+S}. */
public final class TestTypes {
    private TestTypes() {}

    public static TensorType t(String text) {
        int open = text.indexOf('[');
        DType dtype = DType.fromIrName(text.substring(0, open));
        String body = text.substring(open + 1, text.length() - 1);
        List<Dim> dims = new ArrayList<>();
        if (!body.isEmpty()) {
            for (String d : body.split(",")) {
                dims.add(dim(d.trim()));
            }
        }
        return new TensorType(dtype, dims);
    }

    /** A dim as printed: monomials ({@code 12*S}, {@code -1}) joined by {@code +} and {@code -} ({@code P+S-1}). */
    public static Dim dim(String text) {
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("([+-]?)([^+-]+)").matcher(text);
        Dim sum = Dim.of(0);
        while (m.find()) {
            Dim d = Dim.of(m.group(1).equals("-") ? -1 : 1);
            for (String f : m.group(2).split("\\*")) {
                d = d.times(f.matches("\\d+") ? Dim.of(Long.parseLong(f)) : Dim.sym(f));
            }
            sum = sum.plus(d);
        }
        return sum;
    }
}
