package fsc.tests.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.ArtifactLoader;
import fsc.cli.Main;
import fsc.runtime.CompiledModel;
import fsc.runtime.Tensor;
import fsc.tests.OrtOracle;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Why the two ISNet corpus rows (docs/CONFORMANCE.md) cannot meet the fp32 rows' max-abs, and what they
 * are held to instead, each reason checked on the corpus inputs:
 *
 * <ul>
 *   <li>quint8: every tensor before the first bilinear Resize is bit-identical to ORT's (ten ConvInteger
 *       layers with their quantizers); the first tensor that differs is that Resize's output,
 *       by 1-2 ulps in 12% of its elements (fsc interpolates one axis at a time, as the ONNX reference
 *       does; ORT sums four weighted corners). 119 DynamicQuantizeLinear steps then flip an int8 step
 *       wherever x/scale sits at a .5 boundary (the first: 3.49999976 vs 3.50000024), and each flip moves
 *       the next layer's inputs by thousands of ulps. With every Resize switched to nearest (a copy in
 *       both engines) the whole network agrees bit for bit, so nothing else differs.
 *   <li>fp16: ORT's CPU provider has no f16 Conv on x86, so it wraps each in casts to f32, runs the Relu
 *       and MaxPool between them in f32 too, and removes the cast pairs between them
 *       (InsertCastTransformer): it computes most of the graph in f32, and about half of its
 *       outputs are not even f16 values although each is a Cast from an f16 tensor. fsc rounds where the
 *       graph's f16 types say (all but conv_in's output, passed in f32 from one widened conv to the
 *       next). With the f16 rounding taken out of the model (weights widened, casts to f16 made casts
 *       to f32) the two agree to 3.4e-5.
 * </ul>
 */
@Tag("heavy")
class IsnetVsOrtTest {
    @TempDir
    static Path work;

    static final String PACKAGE = "background-removal-node-1.4.5";

    /** ISNet's Sigmoid outputs (the mask and its five side masks); the rest are feature maps. */
    static final List<String> MASKS = List.of("output", "1890", "1891", "1892", "1893", "1894");

    @Test
    void quantizedAgreesBitForBitOnceResizeIsACopy() throws Exception {
        Path model = ModelVariants.nearestResize(
                CorpusModels.npm(PACKAGE, "isnet-small.onnx"), work.resolve("isnet-small-nearest.onnx"));
        Map<String, Tensor> in = Map.of("input", RealModelCorpusTest.image(1, 3, 1024, 1024, 16));
        Map<String, float[]> ort = ort(model, in);
        Map<String, float[]> fsc = fsc(model, in);
        for (var e : ort.entrySet()) {
            float[] want = e.getValue();
            float[] got = fsc.get(e.getKey());
            if (MASKS.contains(e.getKey())) {
                // Sigmoid itself is computed differently (a few ulps); its input agrees exactly.
                assertTrue(maxAbs(got, want) <= 1e-6, e.getKey() + ": max-abs " + maxAbs(got, want));
            } else {
                assertEquals(0, differing(got, want), e.getKey() + ": elements that differ from ORT");
            }
        }
    }

    @Test
    void quantizedDiffersFromOrtByAFractionOfItsInt8Noise() throws Exception {
        Path quantized = CorpusModels.npm(PACKAGE, "isnet-small.onnx");
        Map<String, Tensor> in = Map.of("input", RealModelCorpusTest.image(1, 3, 1024, 1024, 16));
        Map<String, float[]> ort = ort(quantized, in);
        // The same network with f16 weights, which ORT runs in f32: the float model the int8 one approximates.
        Map<String, float[]> reference = ort(CorpusModels.npm(PACKAGE, "isnet-medium.onnx"), in);
        Map<String, float[]> fsc = fsc(quantized, in);
        for (String name : ort.keySet()) {
            float[] want = ort.get(name);
            float[] got = fsc.get(name);
            float[] fp = reference.get(name);
            double meanRatio = meanAbs(got, want) / meanAbs(want, fp);
            double maxRatio = maxAbs(got, want) / maxAbs(want, fp);
            System.out.printf(
                    Locale.ROOT,
                    "isnet-quint8 %s: fsc vs ORT max-abs %.2e mean-abs %.2e; ORT's int8 noise max-abs %.2e mean-abs %.2e%n",
                    name,
                    maxAbs(got, want),
                    meanAbs(got, want),
                    maxAbs(want, fp),
                    meanAbs(want, fp));
            // Measured: mean ratios 0.015-0.16, max ratios 0.12-0.27 (seed 16).
            assertTrue(meanRatio <= 0.25, name + ": mean-abs vs ORT is " + meanRatio + " of the int8 noise");
            assertTrue(maxRatio <= 0.5, name + ": max-abs vs ORT is " + maxRatio + " of the int8 noise");
        }
    }

    @Test
    void halfDiffersFromOrtOnlyWhereTheGraphRoundsToF16() throws Exception {
        Path half = CorpusModels.npm(PACKAGE, "isnet-medium.onnx");
        Path widened = ModelVariants.widenedToF32(half, work.resolve("isnet-medium-f32.onnx"));
        Map<String, Tensor> in = Map.of("input", RealModelCorpusTest.image(1, 3, 1024, 1024, 17));
        Map<String, float[]> ort32 = ort(widened, in);
        Map<String, float[]> fsc32 = fsc(widened, in);
        for (String name : ort32.keySet()) {
            double d = maxAbs(fsc32.get(name), ort32.get(name));
            assertTrue(d <= 1e-4, name + ": without f16 rounding, max-abs " + d + " (measured <= 3.4e-5)");
        }
        fsc32.clear();
        Map<String, float[]> ort16 = ort(half, in);
        Map<String, float[]> fsc16 = fsc(half, in);
        for (String name : ort16.keySet()) {
            float[] got = fsc16.get(name);
            assertEquals(1.0, halfValues(got), name + ": fsc's outputs are casts of f16 tensors");
            double ortHalves = halfValues(ort16.get(name));
            assertTrue(ortHalves < 0.9, name + ": " + ortHalves + " of ORT's outputs are f16 values");
            // fsc is no further from ORT than f16 rounding takes it from the f32 computation (measured <= 1.07x).
            double vsOrt = maxAbs(got, ort16.get(name));
            double rounding = maxAbs(got, ort32.get(name));
            assertTrue(vsOrt <= 2 * rounding, name + ": max-abs vs ORT " + vsOrt + ", f16 rounding " + rounding);
        }
    }

    private static Map<String, float[]> ort(Path model, Map<String, Tensor> in) throws Exception {
        try (OrtOracle ort = new OrtOracle(model, 2)) {
            return ort.run(in);
        }
    }

    private static Map<String, float[]> fsc(Path model, Map<String, Tensor> in) throws Exception {
        Path jar = work.resolve(model.getFileName() + ".jar");
        assertEquals(0, Main.execute("compile", model.toString(), "-o", jar.toString(), "--quiet"), "fsc compile");
        Map<String, float[]> out = new LinkedHashMap<>();
        try (CompiledModel m = ArtifactLoader.open(jar, 2)) {
            m.run(in).forEach((name, t) -> out.put(name, t.toFloatArray()));
        }
        return out;
    }

    static double maxAbs(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }

    static double meanAbs(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs((double) a[i] - b[i]);
        }
        return sum / a.length;
    }

    static long differing(float[] a, float[] b) {
        long n = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                n++;
            }
        }
        return n;
    }

    /** The fraction of {@code v} that f16 represents exactly. */
    static double halfValues(float[] v) {
        long n = 0;
        for (float x : v) {
            if (Float.float16ToFloat(Float.floatToFloat16(x)) == x) {
                n++;
            }
        }
        return (double) n / v.length;
    }
}
