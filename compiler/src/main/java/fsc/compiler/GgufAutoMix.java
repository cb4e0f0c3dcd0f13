package fsc.compiler;

import fsc.frontend.gguf.GgmlType;
import fsc.frontend.gguf.GgufFileType;
import fsc.ir.FscException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code fsc compile model.gguf --quantize auto --accuracy-budget kl=K}: each tensor group's type
 * chosen by measurement, among its 4-bit type (q4_k, or q4_0 where the rows are not whole K-quant
 * super-blocks), q8_0 and the source type, so that the end-to-end mean KL on the reference sequence
 * stays within K. The search is {@link AutoPrecision}'s: every group starts at 4 bits; the widenings
 * (4-bit → q8_0, q8_0 → source) are ordered by the KL each group alone showed at the narrower level,
 * most sensitive first, and the shortest prefix that meets the budget wins.
 */
final class GgufAutoMix {
    private GgufAutoMix() {}

    /** What quantizing {@code group} alone costs at its 4-bit type {@code narrow} and at q8_0. */
    record Sensitivity(String group, GgufFileType narrow, LogitsAgreement narrowError, LogitsAgreement q8Error) {}

    /** Each group's level name, the resulting per-tensor plan and its end-to-end error. */
    record Choice(Map<String, String> levels, Map<String, GgmlType> plan, LogitsAgreement endToEnd) {}

    /** One widening: {@code group} to level {@code to} (1: q8_0, 2: source), removing KL {@code error}. */
    private record Step(String group, int to, double error) {}

    static Choice choose(
            GgufQuantMeasure measure, List<Sensitivity> groups, AccuracyBudget budget, CompileProgress progress) {
        List<Step> ladder = new ArrayList<>();
        for (Sensitivity g : groups) {
            ladder.add(new Step(g.group(), 1, g.narrowError().meanKl()));
            ladder.add(new Step(g.group(), 2, g.q8Error().meanKl()));
        }
        ladder.sort(Comparator.comparingDouble(Step::error).reversed().thenComparing(Step::group));
        AutoPrecision.Prefix<LogitsAgreement> p = AutoPrecision.shortestPrefix(
                ladder.size(),
                steps -> measure.measure(plan(measure, groups, levels(groups, ladder, steps))),
                e -> e.meanKl() <= budget.maxKl(),
                e -> String.format(Locale.ROOT, "mean KL %.3g", e.meanKl()),
                progress);
        if (!p.met()) {
            throw new FscException(String.format(
                    Locale.ROOT,
                    "--quantize auto: no assignment meets --accuracy-budget %s: even with only the least sensitive"
                            + " group quantized the mean KL is %.3g (keep the source types or relax the budget)",
                    budget,
                    p.endToEnd().meanKl()));
        }
        Map<String, Integer> levels = levels(groups, ladder, p.steps());
        TreeMap<String, String> names = new TreeMap<>();
        for (Sensitivity g : groups) {
            names.put(
                    g.group(),
                    switch (levels.get(g.group())) {
                        case 0 -> g.narrow().cliName();
                        case 1 -> GgufFileType.Q8_0.cliName();
                        default -> "source";
                    });
        }
        return new Choice(names, plan(measure, groups, levels), p.endToEnd());
    }

    /** Every group at 4 bits (level 0), then the first {@code steps} widenings applied. */
    private static Map<String, Integer> levels(List<Sensitivity> groups, List<Step> ladder, int steps) {
        TreeMap<String, Integer> levels = new TreeMap<>();
        groups.forEach(g -> levels.put(g.group(), 0));
        for (Step s : ladder.subList(0, steps)) {
            levels.merge(s.group(), s.to(), Math::max);
        }
        return levels;
    }

    /** The per-tensor plan of {@code levels}: each group's file type's plan, restricted to the group. */
    private static Map<String, GgmlType> plan(
            GgufQuantMeasure measure, List<Sensitivity> groups, Map<String, Integer> levels) {
        TreeMap<String, GgmlType> plan = new TreeMap<>();
        for (Sensitivity g : groups) {
            int level = levels.get(g.group());
            if (level < 2) {
                plan.putAll(measure.groupPlan(g.group(), level == 0 ? g.narrow() : GgufFileType.Q8_0));
            }
        }
        return plan;
    }
}
