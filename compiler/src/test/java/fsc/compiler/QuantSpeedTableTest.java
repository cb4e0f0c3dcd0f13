package fsc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.compiler.perf.Stats;
import fsc.passes.Precision;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The report's speed section from made-up timings (no clock involved): one row per variant, the
 * speed-up against fp32, and a plain "does not pay" for a variant that is slower than fp32 or no
 * faster in some round; the manifest line's exact form.
 */
class QuantSpeedTableTest {
    private static final QuantMeasure.LayerError E = new QuantMeasure.LayerError(0.999, 0.01);
    private static final List<QuantReport.Layer> LAYERS = List.of(
            new QuantReport.Layer("a", "mm_a", 64, 64, E, E), new QuantReport.Layer("b", "conv_b", 27, 16, E, null));

    private static QuantSpeed.Row row(String name, Map<String, Precision> a, double ms, double... rounds) {
        return new QuantSpeed.Row(
                new QuantVariants.Variant(name, a),
                Stats.of(new double[] {ms * 0.9, ms, ms, ms * 1.2}),
                rounds,
                40,
                !name.equals("auto"),
                new QuantMeasure.EndToEnd(name.equals("fp32") ? 1 : 0.995, name.equals("fp32") ? 1 : 0.998, 0.02));
    }

    private static TreeMap<String, Precision> assignment(Precision a, Precision b) {
        return new TreeMap<>(Map.of("a", a, "b", b));
    }

    private static QuantReport report(QuantSpeed.Result speed) {
        return report(speed, "`--no-quant-speed`");
    }

    private static QuantReport report(QuantSpeed.Result speed, String untimed) {
        return new QuantReport(
                "m.onnx",
                "auto",
                "random sample inputs",
                LAYERS,
                assignment(Precision.INT4, Precision.INT8),
                new QuantMeasure.EndToEnd(0.99, 0.995, 0.05),
                Map.of(),
                speed,
                untimed);
    }

    private static final QuantSpeed.Result SPEED = new QuantSpeed.Result(
            List.of(
                    row("fp32", null, 10, 1, 1, 1),
                    row("int8", assignment(Precision.INT8, Precision.INT8), 6, 1.6, 1.7, 1.65),
                    row("int4", assignment(Precision.INT4, Precision.FP32), 12, 0.8, 0.85, 0.83),
                    row("auto", assignment(Precision.INT4, Precision.INT8), 9.8, 0.98, 1.05, 1.03)),
            1,
            "x 16×8",
            1.25,
            1.5,
            2);

    @Test
    void oneRowPerVariantWithItsSpeedupAndAPlainVerdict() {
        String md = report(SPEED).markdown();
        assertTrue(md.contains("## Speed"), md);
        assertTrue(md.contains("on x 16×8 with 1 thread"), md);
        assertTrue(md.contains("Load average 1.25 at the start, 1.50 at the end, on 2 CPUs"), md);
        assertTrue(
                md.contains("| fp32 | 0 / 0 / 2 | 18.1 kB | 10.00 | 9.00–12.00 | 1 | 1.00000 | 1.00000 | 40 runs |"),
                md);
        assertTrue(md.contains("| int8 | 2 / 0 / 0 | 4.8 kB | 6.00 | 5.40–7.20 | ×1.67 (1.60–1.70) |"), md);
        assertTrue(md.contains("| int4 | 0 / 1 / 1 | 4.3 kB | 12.00 |"), md);
        assertTrue(md.contains("| auto | 1 / 1 / 0 | 3.1 kB | 9.80 | 8.82–11.76 | ×1.02 (0.98–1.05) |"), md);
        assertTrue(md.contains("40 runs, unsettled |"), "auto's warm-up did not settle: " + md);
        assertTrue(md.contains("- int8 is ×1.67 as fast as fp32 (6.00 against 10.00 ms), faster in every round."), md);
        assertTrue(md.contains("- **int4 does not pay here**: slower than fp32 (12.00 against 10.00 ms, ×0.83)"), md);
        assertTrue(md.contains("smaller weights (4.3 kB instead of 18.1 kB)"), md);
        assertTrue(
                md.contains("- **auto does not pay here**: ×1.02 against fp32, within the noise (some round had it no"
                        + " faster: ×1.02 (0.98–1.05))"),
                md);
        assertTrue(md.indexOf("## Speed") < md.indexOf("| layer | node |"), "speed before the per-layer table");
    }

    @Test
    void theManifestLineNamesEveryVariant() {
        assertEquals(
                "1 thread, x 16×8: fp32 10.00 ms; int8 6.00 ms ×1.67; int4 12.00 ms ×0.83 (does not pay);"
                        + " auto 9.80 ms ×1.02 (does not pay); load average 1.50",
                QuantSpeedTable.summary(SPEED));
    }

    @Test
    void withoutTimingTheReportSaysSo() {
        String md = report(null).markdown();
        assertTrue(md.contains("Speed: not measured (`--no-quant-speed`)."), md);
        assertFalse(md.contains("## Speed"), md);
        String failed = report(null, "timing failed: no space left in /tmp").markdown();
        assertTrue(failed.contains("Speed: not measured (timing failed: no space left in /tmp)."), failed);
    }

    @Test
    void millisecondsKeepThreeDigitsOrSo() {
        assertEquals("0.062", QuantSpeedTable.ms(0.0621));
        assertEquals("12.35", QuantSpeedTable.ms(12.346));
        assertEquals("123.5", QuantSpeedTable.ms(123.46));
    }
}
