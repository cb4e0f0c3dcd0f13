package fsc.compiler;

import fsc.ir.FscException;
import fsc.passes.Precision;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * {@code --quantize auto}: each layer's precision chosen by measurement. Every layer starts at its
 * narrowest (int4 where K allows, else int8). The possible widenings (int4 → int8, int8 → fp32, one
 * per layer and step) form a ladder ordered by the local error each removes ({@link
 * QuantMeasure#layer}), most sensitive first; the smallest prefix of the ladder whose end-to-end
 * error meets the budget wins, found by bisection (the error shrinks as layers widen, so about
 * log2(2·layers) interpreter runs). The idea is llama.cpp's K-quant mixes (sensitive tensors kept
 * wider) with the table replaced by this model's own measurements.
 *
 * <p>The narrowest assignment is the fastest one on memory-bound shapes and never slower on this
 * JDK, where the int8, int4 and f32 GEMMs all run on f32 FMAs (docs/PERFORMANCE-INT8.md): fewer
 * bytes per weight is the only lever, so "as fast as possible" is "as narrow as possible".
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
        // At most all but the last step: an assignment with every layer f32 is no quantization.
        int hi = ladder.size() - 1;
        TreeMap<String, Precision> widest = assignment(layers, ladder, hi);
        progress.step("auto: trying the widest assignment that still quantizes a layer");
        QuantMeasure.EndToEnd best = measure.endToEnd(widest);
        if (best.minCosine() < budget.minCosine()) {
            throw new FscException(String.format(
                    Locale.ROOT,
                    "--quantize auto: no assignment meets --accuracy-budget %s: even with only the least"
                            + " sensitive layer quantized the lowest cosine is %.5f (keep the model f32 or relax"
                            + " the budget)",
                    budget,
                    best.minCosine()));
        }
        int lo = 0;
        TreeMap<String, Precision> loAssign = assignment(layers, ladder, 0);
        progress.step("auto: trying the narrowest assignment");
        QuantMeasure.EndToEnd loE2e = measure.endToEnd(loAssign);
        if (loE2e.minCosine() >= budget.minCosine()) {
            return new Choice(loAssign, loE2e);
        }
        // Invariant: prefix lo fails, prefix hi meets the budget.
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            TreeMap<String, Precision> a = assignment(layers, ladder, mid);
            QuantMeasure.EndToEnd e = measure.endToEnd(a);
            progress.step(String.format(
                    Locale.ROOT, "auto: %d of %d widenings: lowest cosine %.5f", mid, ladder.size(), e.minCosine()));
            if (e.minCosine() >= budget.minCosine()) {
                hi = mid;
                widest = a;
                best = e;
            } else {
                lo = mid;
            }
        }
        return new Choice(widest, best);
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
