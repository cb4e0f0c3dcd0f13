package fsc.compiler;

import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.passes.Pass;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.Pipelines;
import fsc.passes.Precision;
import fsc.passes.QuantGemmPass;
import fsc.passes.QuantizePass;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The compile step of {@code --quantize}: refuses a model that is already quantized, measures every
 * linear layer's quantization error ({@link QuantMeasure}), decides each layer's precision
 * ({@code int8}/{@code int4} for all, or {@code auto} by measurement within the accuracy budget),
 * writes the accuracy report ({@link QuantReport}) and places the {@code quantize} pass in the
 * pipeline.
 */
final class QuantizeCompile {
    private QuantizeCompile() {}

    /** Ops that only a quantized model has after import (the ONNX ones until {@code quantize} lowers them). */
    private static final Set<String> QUANTIZED_OPS = Set.of(
            "dequantize_linear",
            "dynamic_quantize",
            "dynamic_quantize_linear",
            "matmul_int8",
            "matmul_integer",
            "qlinear_matmul",
            "qmatmul",
            "quantize_linear");

    /** The jar manifest's attribute holding the report's summary line. */
    static final String MANIFEST_ATTRIBUTE = "Fsc-Quantization";

    /** The jar manifest's attribute holding the speed table's line (absent with {@code --no-quant-speed}). */
    static final String SPEED_ATTRIBUTE = "Fsc-Quant-Speed";

    /** The jar entry holding the report's Markdown. */
    static final String REPORT_ENTRY = "fsc/quant-report.md";

    static List<Pass> plan(
            CompileSettings s,
            Graph imported,
            List<Pass> pipeline,
            SortedMap<String, byte[]> resources,
            CompileProgress progress) {
        refuseQuantized(s, imported);
        List<Pass> prefix = new ArrayList<>();
        for (Pass p : pipeline) {
            if (p instanceof QuantGemmPass) {
                break;
            }
            prefix.add(p);
        }
        Graph f32 = PassManager.builder()
                .build()
                .run(imported, prefix, PassContext.defaults())
                .graph();
        List<Node> layers = QuantizePass.linearLayers(f32);
        if (layers.isEmpty()) {
            throw new FscException(s.input() + ": --quantize found no linear layer (a matmul by a constant f32"
                    + " weight) to quantize");
        }
        QuantMeasure measure;
        String inputs;
        if (s.quantize().calibrate() != null) {
            Path dir = s.quantize().calibrate();
            List<java.util.Map<String, fsc.ir.interp.HostTensor>> samples = CalibrationSet.load(dir, f32);
            CalibrationMethod method = s.quantize().calibrationMethod() != null
                    ? CalibrationMethod.byName(s.quantize().calibrationMethod())
                    : CalibrationMethod.MINMAX;
            progress.step("measuring the quantization error of " + layers.size() + " layers on " + samples.size()
                    + " calibration samples");
            measure = new QuantMeasure(f32, samples, method);
            inputs = "the calibration set " + dir.getFileName() + " (" + samples.size() + " samples); int8"
                    + " activations have static scales (" + method.cliName() + ")";
        } else {
            progress.step("measuring the quantization error of " + layers.size() + " layers on sample inputs");
            measure = new QuantMeasure(f32, 1);
            inputs = "random sample inputs (token ids drawn from the vocabulary, symbols at most "
                    + QuantMeasure.SYMBOL_VALUE + "); int8 activations are quantized at run time";
        }
        List<QuantReport.Layer> rows = new ArrayList<>();
        for (Node n : layers) {
            rows.add(new QuantReport.Layer(
                    QuantizePass.layerName(n),
                    n.name(),
                    QuantizePass.layerK(n),
                    QuantizePass.layerN(n),
                    measure.layer(n, Precision.INT8),
                    QuantizePass.int4Possible(n) ? measure.layer(n, Precision.INT4) : null));
        }
        String mode = s.quantize().mode();
        TreeMap<String, Precision> assignment;
        QuantMeasure.EndToEnd e2e;
        if (mode.equals("auto")) {
            AccuracyBudget budget = s.quantize().budget() != null
                    ? AccuracyBudget.parse(s.quantize().budget())
                    : AccuracyBudget.DEFAULT;
            AutoPrecision.Choice c = AutoPrecision.choose(rows, measure, budget, progress);
            assignment = c.assignment();
            e2e = c.endToEnd();
        } else {
            assignment = all(rows, Precision.byName(mode));
            progress.step("measuring the end-to-end error");
            e2e = measure.endToEnd(assignment);
        }
        QuantSpeed.Result speed = null;
        String untimed = "`--no-quant-speed`";
        if (s.quantize().timed()) {
            try {
                speed = time(
                        f32,
                        pipeline.subList(prefix.size(), pipeline.size()),
                        measure,
                        rows,
                        mode,
                        assignment,
                        s,
                        progress);
            } catch (RuntimeException e) {
                // The timing informs; it must not cost the user a jar the compile can write (a variant
                // that is not the chosen one failing to compile or run, a scratch folder that cannot
                // be written): the report says why it has no speed table.
                untimed = "timing failed: "
                        + (e instanceof FscException f
                                ? f.oneLine()
                                : e.toString().replace('\n', ' '));
                progress.step("speed: not measured, " + untimed);
            }
        }
        QuantReport report = new QuantReport(
                s.input().getFileName().toString(),
                mode,
                inputs,
                rows,
                assignment,
                e2e,
                measure.staticScales(assignment),
                speed,
                untimed);
        Path dir = s.quantize().report() != null ? s.quantize().report() : defaultReportDir(s.output());
        report.write(dir);
        resources.put(REPORT_ENTRY, report.markdown().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        resources.put(
                fsc.backend.java.JavaBackend.MANIFEST_ATTRIBUTE_PREFIX + MANIFEST_ATTRIBUTE,
                report.summary().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (speed != null) {
            resources.put(
                    fsc.backend.java.JavaBackend.MANIFEST_ATTRIBUTE_PREFIX + SPEED_ATTRIBUTE,
                    QuantSpeedTable.summary(speed).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            progress.step("speed: " + QuantSpeedTable.summary(speed));
        }
        progress.step(report.summary() + "; report in " + dir);
        return Pipelines.withQuantize(pipeline, measure.pass(assignment));
    }

    /**
     * Times fp32, int8, int4 (when a layer can be int4) and, with {@code --quantize auto}, its
     * choice: each compiled from {@code f32} through {@code rest} (the pipeline after the point
     * where {@code quantize} goes), on the measurement's inputs.
     */
    private static QuantSpeed.Result time(
            Graph f32,
            List<Pass> rest,
            QuantMeasure measure,
            List<QuantReport.Layer> layers,
            String mode,
            TreeMap<String, Precision> chosen,
            CompileSettings s,
            CompileProgress progress) {
        List<QuantVariants.Variant> variants = new ArrayList<>();
        variants.add(new QuantVariants.Variant("fp32", null));
        variants.add(new QuantVariants.Variant("int8", all(layers, Precision.INT8)));
        if (layers.stream().anyMatch(l -> l.int4() != null)) {
            variants.add(new QuantVariants.Variant("int4", all(layers, Precision.INT4)));
        }
        if (mode.equals("auto")) {
            variants.add(new QuantVariants.Variant("auto", chosen));
        }
        int threads = s.quantize().timingThreads();
        progress.step("timing " + variants.size() + " variants ("
                + String.join(
                        ", ", variants.stream().map(QuantVariants.Variant::name).toList())
                + ") with the jar's kernels, " + threads + (threads == 1 ? " thread" : " threads")
                + " (--no-quant-speed skips this): compiling them in memory");
        try (QuantVariants compiled = QuantVariants.compile(f32, rest, measure, variants, threads)) {
            return QuantSpeed.measure(compiled, measure.samples(), threads, progress);
        }
    }

    /** Every layer at {@code p}, int4 falling back to fp32 where K does not allow it (as {@code --quantize int4}). */
    static TreeMap<String, Precision> all(List<QuantReport.Layer> layers, Precision p) {
        TreeMap<String, Precision> a = new TreeMap<>();
        for (QuantReport.Layer l : layers) {
            a.put(l.name(), p == Precision.INT4 && l.int4() == null ? Precision.FP32 : p);
        }
        return a;
    }

    /** {@code out/model.jar} → {@code out/model-quant/}. */
    static Path defaultReportDir(Path jar) {
        String name = jar.getFileName().toString();
        int dot = name.lastIndexOf('.');
        Path parent = jar.toAbsolutePath().getParent();
        return parent.resolve((dot > 0 ? name.substring(0, dot) : name) + "-quant");
    }

    /**
     * A model whose weights are already integers (ONNX QDQ or dynamic-quantization exports) is not
     * quantized again: its matmuls are integer ones the int8 path already runs.
     */
    static void refuseQuantized(CompileSettings s, Graph g) {
        boolean quantized =
                g.constants().stream().anyMatch(c -> isQuantizedType(c.value().dtype()))
                        || g.nodes().stream().map(Node::op).anyMatch(QUANTIZED_OPS::contains);
        if (quantized) {
            throw new FscException(s.input() + ": --quantize " + s.quantize().mode()
                    + " applies to f32 models; this one is already quantized (it has 8-bit or packed weights)");
        }
    }

    private static boolean isQuantizedType(DType t) {
        return t == DType.I8 || t == DType.U8 || t.isSubByte() || t.isQuantizedBlock();
    }
}
