package fsc.passes;

import fsc.ir.FscException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Every pass, listed once, sorted by name. A new pass is added here by hand: the list is the
 * documentation of what {@code --passes} accepts, and a test keeps it sorted and the names unique.
 */
public final class PassRegistry {
    private PassRegistry() {}

    private static final List<Pass> ALL = List.of(
            new AttentionLayoutPass(),
            new CsePass(),
            new DcePass(),
            new FoldPass(),
            new FoldBatchNormPass(),
            new FusePass(),
            new KvPagingPass(),
            new LayoutPass(),
            new PlanMemoryPass(),
            new QuantGemmPass(),
            new QuantizePass(),
            new RecognizePass(),
            new WidenHalvesPass());

    /** Every pass, sorted by name. */
    public static List<Pass> all() {
        return ALL;
    }

    public static List<String> names() {
        return ALL.stream().map(Pass::name).toList();
    }

    /** The pass called {@code name}; a user error listing the valid names when there is none. */
    public static Pass byName(String name) {
        for (Pass p : ALL) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new FscException("unknown pass '" + name + "'; valid passes: " + String.join(", ", names()));
    }

    /** A pipeline from {@code --passes fold,dce,cse}: comma-separated names, blanks ignored, in order. */
    public static List<Pass> parse(String csv) {
        List<Pass> out = new ArrayList<>();
        for (String part : csv.split(",", -1)) {
            String name = part.strip();
            if (!name.isEmpty()) {
                out.add(byName(name));
            }
        }
        if (out.isEmpty()) {
            throw new FscException("no pass named in '" + csv + "'; valid passes: " + String.join(", ", names()));
        }
        return out;
    }

    /** One line per pass: name and summary, for {@code fsc opt --list-passes}. */
    public static String describe() {
        int width = ALL.stream().mapToInt(p -> p.name().length()).max().orElse(0);
        return ALL.stream()
                .map(p -> String.format(
                        java.util.Locale.ROOT,
                        "%-" + width + "s  %s",
                        p.name(),
                        p.info().summary()))
                .collect(Collectors.joining("\n", "", "\n"));
    }
}
