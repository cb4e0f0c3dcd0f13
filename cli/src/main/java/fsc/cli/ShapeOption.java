package fsc.cli;

import fsc.ir.FscException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --shape NAME=1x3x224x224}: an input's fixed shape, dims separated by {@code x} or {@code ,}. */
final class ShapeOption {
    private ShapeOption() {}

    static Map<String, List<Long>> parse(Map<String, String> given) {
        Map<String, List<Long>> out = new LinkedHashMap<>();
        for (var e : given.entrySet()) {
            out.put(e.getKey(), dims(e.getKey(), e.getValue()));
        }
        return out;
    }

    static List<Long> dims(String name, String text) {
        List<Long> dims = new ArrayList<>();
        for (String part : text.trim().split("[x,]", -1)) {
            long d;
            try {
                d = Long.parseLong(part.trim());
            } catch (NumberFormatException e) {
                d = -1;
            }
            if (d < 0) {
                throw new FscException("--shape " + name + "=" + text + ": dims must be numbers >= 0 separated"
                        + " by 'x' (e.g. 1x3x224x224)");
            }
            dims.add(d);
        }
        return dims;
    }
}
