package fsc.compiler;

import fsc.frontend.gguf.GgmlType;
import fsc.frontend.gguf.GgufFile;
import fsc.frontend.gguf.GgufFileType;
import fsc.frontend.gguf.GgufRequantizer;
import fsc.frontend.gguf.LlamaQuantRules;
import fsc.frontend.gguf.arch.DecoderNumerics;
import fsc.frontend.gguf.arch.DecoderParams;
import fsc.passes.Pass;
import fsc.passes.Pipelines;
import fsc.passes.QuantizePass;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The compile step of {@code fsc compile model.gguf --quantize q8_0|q4_0|q4_k|auto}. A file type
 * decides every tensor's type by llama-quantize's rules ({@link GgufRequantizer#plan}, which refuses
 * a plan fsc cannot carry out before any work); {@code auto} picks a file type per tensor group by
 * measurement within {@code --accuracy-budget kl=K} ({@link GgufAutoMix}). Either way the accuracy
 * report is measured ({@link GgufQuantMeasure}) and written ({@link GgufQuantReport}), and the
 * {@code quantize} pass, which converts the weights with ggml's reference quantizers, is placed in
 * the pipeline. The weights equal {@code llama-quantize}'s byte for byte for a file type, so that jar
 * is the one fsc compiles from llama.cpp's file.
 */
final class GgufQuantizeCompile {
    private GgufQuantizeCompile() {}

    /** Each tensor's new type, and the measurement whose quantized weights the pass reuses. */
    record Planned(Map<String, GgmlType> plan, GgufQuantMeasure measure) {}

    /** The file type {@code --quantize} names, or null for {@code auto}. */
    static GgufFileType fileType(CompileSettings s) {
        if (s.quantize().mode().equals("auto")) {
            return null;
        }
        return GgufFileType.byCliName(s.quantize().mode())
                .orElseThrow(() -> new IllegalStateException("GgufQuantizeCompile: --quantize "
                        + s.quantize().mode() + " passed Applicability but is no GGUF file type"));
    }

    /**
     * Decides the plan (a file type's, refused in one line when it cannot be carried out; or {@code
     * auto}'s), measures it, writes the report and puts its Markdown and summary into {@code
     * resources}.
     */
    static Planned plan(
            CompileSettings s, GgufFile file, SortedMap<String, byte[]> resources, CompileProgress progress) {
        DecoderParams p = DecoderParams.read(file);
        LlamaQuantRules.Model model = GgufRequantizer.model(file, p.arch().name(), p.layers(), p.heads(), p.kvHeads());
        GgufFileType f = fileType(s);
        // auto: q8_0's plan refuses, before any work, what no type can do (an already-quantized tensor).
        Map<String, GgmlType> filePlan = GgufRequantizer.plan(file, f != null ? f : GgufFileType.Q8_0, model);
        int steps = s.quantize().steps() != null ? s.quantize().steps() : GgufQuantMeasure.STEPS;
        GgufQuantMeasure measure = new GgufQuantMeasure(file, model, steps, progress);
        List<GgufAutoMix.Sensitivity> sensitivity = new ArrayList<>();
        int i = 0;
        for (String group : measure.groups().keySet()) {
            progress.step(String.format(
                    Locale.ROOT,
                    "quant report: group %d of %d (%s) alone at 4 bits and q8_0",
                    ++i,
                    measure.groups().size(),
                    group));
            // The 4-bit type: a 4-bit --quantize's own; else q4_k where the group's rows allow it.
            GgufFileType narrow = f != null && f != GgufFileType.Q8_0
                    ? f
                    : measure.groupPlan(group, GgufFileType.Q4_K) != null ? GgufFileType.Q4_K : GgufFileType.Q4_0;
            sensitivity.add(new GgufAutoMix.Sensitivity(
                    group,
                    narrow,
                    measure.measure(measure.groupPlan(group, narrow)),
                    measure.measure(measure.groupPlan(group, GgufFileType.Q8_0))));
        }
        Map<String, String> chosen = new TreeMap<>();
        Map<String, GgmlType> plan;
        LogitsAgreement endToEnd;
        AccuracyBudget budget = null;
        if (f == null) {
            budget = s.quantize().budget() != null
                    ? AccuracyBudget.parse(s.quantize().budget())
                    : AccuracyBudget.DEFAULT_KL;
            GgufAutoMix.Choice c = GgufAutoMix.choose(measure, sensitivity, budget, progress);
            plan = c.plan();
            endToEnd = c.endToEnd();
            chosen.putAll(c.levels());
        } else {
            plan = filePlan;
            progress.step("quant report: measuring " + f.cliName() + " end to end");
            endToEnd = measure.measure(plan);
            measure.groups().keySet().forEach(g -> chosen.put(g, f.cliName()));
        }
        List<GgufQuantReport.Group> groups = new ArrayList<>();
        long[] bytes = new long[2];
        for (GgufAutoMix.Sensitivity g : sensitivity) {
            TreeMap<String, GgmlType> groupTypes = new TreeMap<>();
            for (String t : measure.groups().get(g.group())) {
                GgmlType type = plan.getOrDefault(t, measure.sourceType(t));
                groupTypes.put(t, type);
                bytes[0] += measure.bytes(t, null);
                bytes[1] += measure.bytes(t, type);
            }
            groups.add(new GgufQuantReport.Group(
                    g.group(),
                    groupTypes.size(),
                    g.narrow().cliName(),
                    g.narrowError(),
                    g.q8Error(),
                    chosen.get(g.group()),
                    GgufQuantReport.typeCounts(groupTypes)));
        }
        int[] generated = measure.generated();
        GgufQuantReport report = new GgufQuantReport(
                s.input().getFileName().toString(),
                s.quantize().mode(),
                String.format(
                        Locale.ROOT,
                        "the source model's own greedy continuation of \"%s\" (%d prompt tokens, then %d steps;"
                                + " the next-token logits of those %d steps are compared; generated ids begin %s)",
                        GgufQuantMeasure.PROMPT,
                        measure.promptLength(),
                        measure.steps(),
                        measure.steps(),
                        Arrays.toString(Arrays.copyOf(generated, Math.min(8, generated.length)))
                                .replace("]", ", …]")),
                budget,
                groups,
                plan,
                endToEnd,
                bytes);
        Path dir = s.quantize().report() != null ? s.quantize().report() : QuantizeCompile.defaultReportDir(s.output());
        QuantReport.write(dir, report.markdown(), report.csv(), report.svg());
        resources.put(QuantizeCompile.REPORT_ENTRY, report.markdown().getBytes(StandardCharsets.UTF_8));
        resources.put(
                fsc.backend.java.JavaBackend.MANIFEST_ATTRIBUTE_PREFIX + QuantizeCompile.MANIFEST_ATTRIBUTE,
                report.summary().getBytes(StandardCharsets.UTF_8));
        progress.step(report.summary() + "; report in " + dir);
        return new Planned(plan, measure);
    }

    /** {@code pipeline} with the {@code quantize} pass that carries out {@code planned}, where the ONNX path puts it. */
    static List<Pass> withPass(
            CompileSettings s,
            Planned planned,
            DecoderNumerics numerics,
            List<Pass> pipeline,
            CompileProgress progress) {
        Map<String, GgmlType> plan = planned.plan();
        progress.step("re-quantizing " + plan.size() + " tensors ("
                + (s.quantize().mode().equals("auto")
                        ? "auto's mix"
                        : "llama-quantize's " + fileType(s).llamaName() + " rules")
                + "): " + GgufQuantReport.typeCounts(plan));
        AtomicLong nanos = new AtomicLong();
        AtomicInteger done = new AtomicInteger();
        QuantizePass pass = QuantizePass.requantize(
                (weight, data) -> {
                    GgmlType target = plan.get(weight);
                    if (target == null) {
                        return null;
                    }
                    long t0 = System.nanoTime();
                    // The measurement quantized the same values (F16 sources widened exactly): reuse its bytes.
                    var out = planned.measure().quantized(weight, target);
                    if (!out.dims().equals(data.dims())) {
                        out = GgufRequantizer.quantize(data, target);
                    }
                    long total = nanos.addAndGet(System.nanoTime() - t0);
                    if (done.incrementAndGet() == plan.size()) {
                        progress.step(String.format(Locale.ROOT, "re-quantized in %.1f s", total / 1e9));
                    }
                    return out;
                },
                numerics == DecoderNumerics.LLAMA_CPP);
        return Pipelines.withQuantize(pipeline, pass);
    }
}
