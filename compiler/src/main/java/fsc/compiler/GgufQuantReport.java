package fsc.compiler;

import fsc.frontend.gguf.GgmlType;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The accuracy report of a GGUF re-quantization ({@code --quantize q8_0|q4_0|q4_k|auto} on a GGUF
 * decoder), written as the ONNX one is ({@code report.md}, {@code layers.csv}, {@code
 * sensitivity.svg}; the Markdown into the jar, the summary into the manifest): per tensor group, the
 * error quantizing only that group introduces at 4 bits and at q8_0, and the end-to-end error of the
 * chosen types, all measured by {@link GgufQuantMeasure} against the source model.
 *
 * @param model the input's file name
 * @param mode the {@code --quantize} mode
 * @param reference what the errors were measured on
 * @param budget {@code auto}'s budget (null for the fixed modes)
 * @param groups every tensor group, in graph order
 * @param plan every tensor whose type changes, with its new type
 * @param endToEnd the chosen types against the source
 * @param bytes the quantizable tensors' bytes in the source and as chosen
 */
record GgufQuantReport(
        String model,
        String mode,
        String reference,
        AccuracyBudget budget,
        List<Group> groups,
        Map<String, GgmlType> plan,
        LogitsAgreement endToEnd,
        long[] bytes) {

    /**
     * One tensor group: its name, tensor count, the 4-bit file type measured ({@code q4_k}, or
     * {@code q4_0} where rows are not whole K-quant super-blocks), the errors of that type and of
     * q8_0 with only this group quantized, the chosen level and the group's types as planned.
     */
    record Group(
            String name,
            int tensors,
            String narrow,
            LogitsAgreement narrowError,
            LogitsAgreement q8Error,
            String chosen,
            String types) {}

    /** The plan's tensors per type, e.g. {@code 32 q4_0, 5 f16}. */
    static String typeCounts(Map<String, GgmlType> plan) {
        TreeMap<String, Integer> byType = new TreeMap<>();
        plan.values().forEach(t -> byType.merge(t.name().toLowerCase(Locale.ROOT), 1, Integer::sum));
        StringBuilder b = new StringBuilder();
        byType.forEach((t, n) ->
                b.append(b.isEmpty() ? "" : ", ").append(n).append(' ').append(t));
        return b.isEmpty() ? "none" : b.toString();
    }

    /** One line for the compile's progress and the jar's manifest. */
    String summary() {
        return String.format(
                Locale.ROOT,
                "quantize %s: %d tensors re-quantized (%s); weights %s -> %s; vs the source on %d greedy steps:"
                        + " mean KL %.3g, max KL %.3g, top-1 %d/%d",
                mode + (budget == null ? "" : " " + budget),
                plan.size(),
                typeCounts(plan),
                QuantReport.size(bytes[0]),
                QuantReport.size(bytes[1]),
                endToEnd.steps(),
                endToEnd.meanKl(),
                endToEnd.maxKl(),
                endToEnd.sameTop(),
                endToEnd.steps());
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# Quantization report: ").append(model).append("\n\n");
        b.append(summary()).append(".\n\n");
        b.append("Measured by fsc's reference interpreter on " + reference + ". Each variant's weights are"
                + " quantized by ggml's quantizers (the jar's bytes) and dequantized to f32; every variant is fed"
                + " the same tokens. KL: of the variant's next-token distribution from the source model's, in"
                + " nats. *Group alone*: only that group's tensors quantized (llama-quantize's rules for the"
                + " type, restricted to the group), everything else as in the source. *End to end*: the chosen"
                + " types.\n\n");
        if (budget != null) {
            b.append("`auto` kept the end-to-end mean KL within " + budget + ": every group starts at its 4-bit"
                    + " type; the widenings (4-bit → q8_0, q8_0 → source) are taken most sensitive first (the"
                    + " group-alone KL each removes), as few as meet the budget.\n\n");
        }
        b.append(String.format(
                Locale.ROOT,
                "| end to end | mean KL | max KL | top-1 = source | logits rel. L2 |%n|---|---:|---:|---:|---:|%n"
                        + "| %s | %.3g | %.3g | %d/%d | %.4f |%n%n",
                mode,
                endToEnd.meanKl(),
                endToEnd.maxKl(),
                endToEnd.sameTop(),
                endToEnd.steps(),
                endToEnd.relL2()));
        b.append("| group | tensors | chosen | types | 4-bit | 4-bit mean KL | 4-bit rel. L2 | 4-bit top-1"
                + " | q8_0 mean KL | q8_0 rel. L2 | q8_0 top-1 |\n");
        b.append("|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Group g : groups) {
            b.append(String.format(
                    Locale.ROOT,
                    "| %s | %d | %s | %s | %s | %.3g | %.4f | %d/%d | %.3g | %.4f | %d/%d |%n",
                    g.name(),
                    g.tensors(),
                    g.chosen(),
                    g.types(),
                    g.narrow(),
                    g.narrowError().meanKl(),
                    g.narrowError().relL2(),
                    g.narrowError().sameTop(),
                    g.narrowError().steps(),
                    g.q8Error().meanKl(),
                    g.q8Error().relL2(),
                    g.q8Error().sameTop(),
                    g.q8Error().steps()));
        }
        return b.toString();
    }

    String csv() {
        StringBuilder b = new StringBuilder(
                "group,tensors,chosen,types,narrow,narrow_mean_kl,narrow_rel_l2,narrow_top1,q8_0_mean_kl,q8_0_rel_l2,"
                        + "q8_0_top1,steps\n");
        for (Group g : groups) {
            b.append(String.format(
                    Locale.ROOT,
                    "%s,%d,%s,\"%s\",%s,%.6g,%.6f,%d,%.6g,%.6f,%d,%d%n",
                    g.name(),
                    g.tensors(),
                    g.chosen(),
                    g.types(),
                    g.narrow(),
                    g.narrowError().meanKl(),
                    g.narrowError().relL2(),
                    g.narrowError().sameTop(),
                    g.q8Error().meanKl(),
                    g.q8Error().relL2(),
                    g.q8Error().sameTop(),
                    g.q8Error().steps()));
        }
        return b.toString();
    }

    /** Per group, q8_0's and the 4-bit type's mean KL as bars, the chosen level after the name. */
    String svg() {
        List<SensitivitySvg.Row> rows = groups.stream()
                .map(g -> new SensitivitySvg.Row(
                        g.name(),
                        g.chosen(),
                        g.q8Error().meanKl(),
                        g.narrowError().meanKl()))
                .toList();
        return SensitivitySvg.svg(
                model + ": per-group mean KL of quantizing that group alone (blue q8_0, orange q4_k/q4_0;"
                        + " chosen after the name)",
                "mean KL (nats)",
                summary().substring(0, summary().indexOf(';')),
                rows);
    }
}
