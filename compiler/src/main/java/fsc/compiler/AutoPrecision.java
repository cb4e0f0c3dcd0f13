package fsc.compiler;

import fsc.ir.FscException;
import fsc.passes.Precision;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * {@code --quantize auto}: each layer's precision chosen by measurement. Every layer starts at its
 * narrowest (int4 where K allows, else int8). The possible widenings (int4 → int8, int8 → fp32, one
 * per layer and step) form a ladder ordered by the local error each removes ({@link
 * QuantMeasure#layer}), most sensitive first; the smallest prefix of the ladder whose end-to-end
 * error meets the budget wins, found by bisection (the error shrinks as layers widen, so about
 * log2(2·layers) interpreter runs). The idea is llama.cpp's K-quant mixes (sensitive tensors kept
 * wider) with the table replaced by this model's own measurements.
 *
 * <p>The search minimises the weights' bytes within the budget, not the time: narrower is not
 * always faster (int4's {@code qmatmul} dequantizes per tile and was several times slower than f32
 * on MiniLM's short sequences; int8 on a CNN this small costs more in quantizing than it saves).
 * The report's speed table ({@link QuantSpeed}) times the choice against fp32, int8 and int4.
 */
final class AutoPrecision {
    private AutoPrecision() {}

    record Choice(TreeMap<String, Precision> assignment, QuantMeasure.EndToEnd endToEnd) {}

    /** One widening: {@code layer} to {@code to}, removing local error {@code error} (1 - cosine). */
    private record Step(String layer, Precision to, double error) {}

    static Choice choose(
            List<QuantReport.Layer> layers, QuantMeasure measure, AccuracyBudget budget, CompileProgress progress) {
        List<Step> ladder = new ArrayList<>();
        for (QuantReport.Layer l : layers) {
            if (l.int4() != null) {
                ladder.add(new Step(l.name(), Precision.INT8, 1 - l.int4().cosine()));
            }
            ladder.add(new Step(l.name(), Precision.FP32, 1 - l.int8().cosine()));
        }
        ladder.sort(Comparator.comparingDouble(Step::error).reversed().thenComparing(Step::layer));
        Prefix<QuantMeasure.EndToEnd> p = shortestPrefix(
                ladder.size(),
                steps -> measure.endToEnd(assignment(layers, ladder, steps)),
                e -> e.minCosine() >= budget.minCosine(),
                e -> String.format(Locale.ROOT, "lowest cosine %.5f", e.minCosine()),
                progress);
        if (!p.met()) {
            throw new FscException(String.format(
                    Locale.ROOT,
                    "--quantize auto: no assignment meets --accuracy-budget %s: even with only the least"
                            + " sensitive layer quantized the lowest cosine is %.5f (keep the model f32 or relax"
                            + " the budget)",
                    budget,
                    p.endToEnd().minCosine()));
        }
        return new Choice(assignment(layers, ladder, p.steps()), p.endToEnd());
    }

    /**
     * The outcome of {@link #shortestPrefix}: how many widenings, their end-to-end error, and whether
     * it meets the budget (false: even the widest assignment, with {@code steps}, does not).
     */
    record Prefix<E>(int steps, E endToEnd, boolean met) {}

    /**
     * The shortest prefix of a ladder of {@code ladderSize} widenings (most sensitive first) whose
     * end-to-end error {@code meets} the budget, by bisection: the widest assignment that still
     * quantizes something (all but the last step) first, then none, then halving (the error shrinks
     * as layers widen, so about log2(ladderSize) measurements). Shared by the ONNX and GGUF {@code
     * auto} modes, which differ in what a step widens and what they measure.
     */
    static <E> Prefix<E> shortestPrefix(
            int ladderSize,
            IntFunction<E> measure,
            Predicate<E> meets,
            Function<E, String> describe,
            CompileProgress progress) {
        // At most all but the last step: an assignment with every layer wide is no quantization.
        int hi = Math.max(0, ladderSize - 1);
        progress.step("auto: trying the widest assignment that still quantizes a layer");
        E best = measure.apply(hi);
        if (!meets.test(best)) {
            return new Prefix<>(hi, best, false);
        }
        if (hi == 0) {
            return new Prefix<>(0, best, true);
        }
        int lo = 0;
        progress.step("auto: trying the narrowest assignment");
        E narrowest = measure.apply(0);
        if (meets.test(narrowest)) {
            return new Prefix<>(0, narrowest, true);
        }
        // Invariant: prefix lo fails, prefix hi meets the budget.
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            E e = measure.apply(mid);
            progress.step(
                    String.format(Locale.ROOT, "auto: %d of %d widenings: %s", mid, ladderSize, describe.apply(e)));
            if (meets.test(e)) {
                hi = mid;
                best = e;
            } else {
                lo = mid;
            }
        }
        return new Prefix<>(hi, best, true);
    }

    /** Every layer at its narrowest, then the first {@code steps} widenings of the ladder applied. */
    private static TreeMap<String, Precision> assignment(List<QuantReport.Layer> layers, List<Step> ladder, int steps) {
        TreeMap<String, Precision> a = new TreeMap<>();
        for (QuantReport.Layer l : layers) {
            a.put(l.name(), l.int4() != null ? Precision.INT4 : Precision.INT8);
        }
        for (Step s : ladder.subList(0, steps)) {
            if (s.to().ordinal() < a.get(s.layer()).ordinal()) {
                a.put(s.layer(), s.to()); // FP32 < INT8 < INT4 in declaration order: lower is wider
            }
        }
        return a;
    }
}
