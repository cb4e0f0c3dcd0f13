package fsc.compiler;

import fsc.ir.FscException;
import fsc.passes.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The accuracy report of one quantized compile, written to {@code --quant-report DIR} (always, when
 * quantizing): {@code report.md} (summary, end-to-end error, per-layer table), {@code layers.csv}
 * (the same table for tools) and {@code sensitivity.svg} (each layer's relative L2 error at int8 and
 * int4, as bars, the chosen precision marked). The Markdown also goes into the jar.
 *
 * @param model the input's file name
 * @param mode {@code int8}, {@code int4} or {@code auto}
 * @param inputs what the errors were measured on (random samples or the calibration set)
 * @param layers every linear layer, in graph order, with its measured errors
 * @param assignment each layer's chosen precision, by layer name
 * @param endToEnd the quantized model against the f32 one
 * @param staticScales per activation with a static scale (calibrated int8), that scale
 * @param speed each variant's timing ({@link QuantSpeed}), or null when not timed
 * @param untimed why {@code speed} is null: {@code --no-quant-speed}, or what stopped the timing
 */
record QuantReport(
        String model,
        String mode,
        String inputs,
        List<Layer> layers,
        Map<String, Precision> assignment,
        QuantMeasure.EndToEnd endToEnd,
        Map<String, Float> staticScales,
        QuantSpeed.Result speed,
        String untimed) {

    /** One linear layer: its name, node, weight shape and errors (int4 null when K does not allow it). */
    record Layer(
            String name, String node, long k, long n, QuantMeasure.LayerError int8, QuantMeasure.LayerError int4) {}

    long count(Precision p) {
        return assignment.values().stream().filter(x -> x == p).count();
    }

    /** Bytes of the linear layers' weights as f32 and as assigned (scales included). */
    long[] weightBytes() {
        return weightBytes(assignment);
    }

    /** Bytes of the linear layers' weights as f32 and under {@code assignment} (null: all f32). */
    long[] weightBytes(Map<String, Precision> assignment) {
        long f32 = 0;
        long q = 0;
        for (Layer l : layers) {
            long elements = l.k() * l.n();
            f32 += 4 * elements;
            Precision p = assignment == null ? Precision.FP32 : assignment.get(l.name());
            q += switch (p) {
                case FP32 -> 4 * elements;
                case INT8 -> elements + 4 * l.n();
                case INT4 -> elements / 32 * 20;
            };
        }
        return new long[] {f32, q};
    }

    /** One line for the compile's progress and the jar's manifest. */
    String summary() {
        long[] bytes = weightBytes();
        return String.format(
                Locale.ROOT,
                "quantize %s: %d int8, %d int4, %d fp32 of %d layers; weights %s -> %s;"
                        + " end-to-end vs f32 on %s inputs: lowest row cosine %.5f, mean %.5f",
                mode,
                count(Precision.INT8),
                count(Precision.INT4),
                count(Precision.FP32),
                layers.size(),
                size(bytes[0]),
                size(bytes[1]),
                inputs.startsWith("random") ? "sample" : "calibration",
                endToEnd.minCosine(),
                endToEnd.meanCosine());
    }

    /** Bytes as MB, or kB below a megabyte (a CNN's layers can be a few kilobytes). */
    static String size(long bytes) {
        return bytes >= 1_000_000
                ? String.format(Locale.ROOT, "%.1f MB", bytes / 1e6)
                : String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# Quantization report: ").append(model).append("\n\n");
        b.append(summary()).append(".\n\n");
        b.append("Measured by fsc's reference interpreter on " + inputs + ". *Local* errors: the layer's f32"
                + " input through the quantized layer against the f32 layer, everything else f32. *End to end*:"
                + " the quantized model against the f32 one, per output row (a token's hidden vector, a"
                + " class-score vector).\n\n");
        b.append(String.format(
                Locale.ROOT,
                "| end to end | lowest row cosine | mean row cosine | relative L2 |%n|---|---:|---:|---:|%n"
                        + "| %s | %.5f | %.5f | %.4f |%n%n",
                mode,
                endToEnd.minCosine(),
                endToEnd.meanCosine(),
                endToEnd.relL2()));
        b.append(speed != null ? QuantSpeedTable.markdown(speed, this) : "Speed: not measured (" + untimed + ").\n\n");
        if (!staticScales.isEmpty()) {
            b.append("Static activation scales (the clipping threshold on |x| is 127 × scale):\n\n"
                    + "| activation | scale | threshold |\n|---|---:|---:|\n");
            staticScales.forEach(
                    (name, sc) -> b.append(String.format(Locale.ROOT, "| %s | %.6g | %.6g |%n", name, sc, sc * 127)));
            b.append('\n');
        }
        b.append("| layer | node | K×N | chosen | int8 cosine | int8 rel. L2 | int4 cosine | int4 rel. L2 |\n");
        b.append("|---|---|---|---|---:|---:|---:|---:|\n");
        for (Layer l : layers) {
            b.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %d×%d | %s | %.5f | %.4f | %s | %s |%n",
                    l.name(),
                    l.node(),
                    l.k(),
                    l.n(),
                    assignment.get(l.name()).cliName(),
                    l.int8().cosine(),
                    l.int8().relL2(),
                    l.int4() == null
                            ? "–"
                            : String.format(Locale.ROOT, "%.5f", l.int4().cosine()),
                    l.int4() == null
                            ? "– (conv, or K % 32 ≠ 0)"
                            : String.format(Locale.ROOT, "%.4f", l.int4().relL2())));
        }
        return b.toString();
    }

    String csv() {
        StringBuilder b = new StringBuilder("layer,node,k,n,chosen,int8_cosine,int8_rel_l2,int4_cosine,int4_rel_l2\n");
        for (Layer l : layers) {
            b.append(String.format(
                    Locale.ROOT,
                    "%s,%s,%d,%d,%s,%.6f,%.6f,%s,%s%n",
                    l.name(),
                    l.node(),
                    l.k(),
                    l.n(),
                    assignment.get(l.name()).cliName(),
                    l.int8().cosine(),
                    l.int8().relL2(),
                    l.int4() == null
                            ? ""
                            : String.format(Locale.ROOT, "%.6f", l.int4().cosine()),
                    l.int4() == null
                            ? ""
                            : String.format(Locale.ROOT, "%.6f", l.int4().relL2())));
        }
        return b.toString();
    }

    /** Two bars per layer (int8, int4 relative L2), one scale for all; the chosen precision's label in bold. */
    String svg() {
        List<SensitivitySvg.Row> rows = layers.stream()
                .map(l -> new SensitivitySvg.Row(
                        l.name(),
                        assignment.get(l.name()).cliName(),
                        l.int8().relL2(),
                        l.int4() == null ? null : l.int4().relL2()))
                .toList();
        return SensitivitySvg.svg(
                model + ": per-layer relative L2 error of quantizing that layer alone (blue int8, orange int4;"
                        + " chosen precision after the name)",
                "relative L2 error",
                summary().substring(0, summary().indexOf(';')),
                rows);
    }

    void write(Path dir) {
        write(dir, markdown(), csv(), svg());
    }

    /** Writes a report's three files into {@code dir} (created if needed). */
    static void write(Path dir, String markdown, String csv, String svg) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("report.md"), markdown);
            Files.writeString(dir.resolve("layers.csv"), csv);
            Files.writeString(dir.resolve("sensitivity.svg"), svg);
        } catch (IOException e) {
            throw new FscException("cannot write the quantization report to " + dir + ": " + e.getMessage());
        }
    }
}
