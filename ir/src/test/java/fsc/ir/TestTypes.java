package fsc.ir;

import java.util.ArrayList;
import java.util.List;

/** Types from their printed form in tests: {@code t("f32[B,S,384]")}, dims such as {@code B*S} or {@code 12*S}. */
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

    public static Dim dim(String text) {
        Dim d = Dim.of(1);
        for (String f : text.split("\\*")) {
            d = d.times(f.matches("-?\\d+") ? Dim.of(Long.parseLong(f)) : Dim.sym(f));
        }
        return d;
    }
}
