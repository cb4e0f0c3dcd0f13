package fsc.tests.conformance;

import static fsc.tests.conformance.NodeTestWriter.floats;
import static fsc.tests.conformance.NodeTestWriter.longs;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.cli.conformance.ConformanceRunner;
import fsc.cli.conformance.ConformanceSummary;
import fsc.cli.conformance.NodeTestCase;
import fsc.cli.conformance.TestIndex;
import fsc.cli.conformance.TestResult;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Older opset semantics that real exports still use and that the official node tests (newest opset
 * only) do not cover: each case is written in the node-test layout with hand-computed expectations
 * and run through the conformance runner.
 */
class OldOpsetSemanticsTest {
    @TempDir
    Path root;

    private static final float[] X24 = new float[24];

    static {
        for (int i = 0; i < 24; i++) {
            X24[i] = (i % 7) * 0.25f - 0.5f;
        }
    }

    /** Softmax-11 with axis 1 on [2,3,4] normalises each batch row over all 12 trailing elements. */
    @Test
    void softmax11CoercesTo2d() {
        float[] expected = new float[24];
        for (int b = 0; b < 2; b++) {
            double sum = 0;
            for (int i = 0; i < 12; i++) {
                sum += Math.exp(X24[b * 12 + i]);
            }
            for (int i = 0; i < 12; i++) {
                expected[b * 12 + i] = (float) (Math.exp(X24[b * 12 + i]) / sum);
            }
        }
        new NodeTestWriter("Softmax", 11)
                .integer("axis", 1)
                .input("x", floats(new long[] {2, 3, 4}, X24))
                .output("y", floats(new long[] {2, 3, 4}, expected))
                .write(root, "test_softmax11_axis1");
        float[] logExpected = new float[24];
        for (int i = 0; i < 24; i++) {
            logExpected[i] = (float) Math.log(expected[i]);
        }
        new NodeTestWriter("LogSoftmax", 11)
                .input("x", floats(new long[] {2, 3, 4}, X24))
                .output("y", floats(new long[] {2, 3, 4}, logExpected))
                .write(root, "test_logsoftmax11_default_axis");
        assertAllPass();
    }

    /** Squeeze-11 and Unsqueeze-11 take their axes as an attribute (negative ones too). */
    @Test
    void squeezeAndUnsqueeze11TakeAttributeAxes() {
        float[] six = {1, 2, 3, 4, 5, 6};
        new NodeTestWriter("Squeeze", 11)
                .ints("axes", 0, -1)
                .input("x", floats(new long[] {1, 2, 3, 1}, six))
                .output("y", floats(new long[] {2, 3}, six))
                .write(root, "test_squeeze11_axes");
        new NodeTestWriter("Unsqueeze", 11)
                .ints("axes", 0, 3)
                .input("x", floats(new long[] {2, 3}, six))
                .output("y", floats(new long[] {1, 2, 3, 1}, six))
                .write(root, "test_unsqueeze11_axes");
        assertAllPass();
    }

    /** ReduceSum-11 takes axes as an attribute; ReduceMean-11 too (operands came at 13 and 18). */
    @Test
    void reductions11TakeAttributeAxes() {
        new NodeTestWriter("ReduceSum", 11)
                .ints("axes", 1)
                .integer("keepdims", 0)
                .input("x", floats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))
                .output("y", floats(new long[] {2}, 6, 15))
                .write(root, "test_reducesum11_axes");
        new NodeTestWriter("ReduceMean", 11)
                .ints("axes", 0)
                .input("x", floats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))
                .output("y", floats(new long[] {1, 3}, 2.5f, 3.5f, 4.5f))
                .write(root, "test_reducemean11_axes_keepdims");
        assertAllPass();
    }

    /** Slice-9 (attributes) and Slice-11 with bound starts/ends/axes operands. */
    @Test
    void sliceAttributeAndOperandForms() {
        new NodeTestWriter("Slice", 9)
                .ints("starts", 1)
                .ints("ends", 1000)
                .ints("axes", 1)
                .input("x", floats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))
                .output("y", floats(new long[] {2, 2}, 2, 3, 5, 6))
                .write(root, "test_slice9_attributes");
        new NodeTestWriter("Slice", 11)
                .input("x", floats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))
                .input("starts", longs(new long[] {1}, -2))
                .input("ends", longs(new long[] {1}, 3))
                .input("axes", longs(new long[] {1}, -1))
                .output("y", floats(new long[] {2, 2}, 2, 3, 5, 6))
                .write(root, "test_slice11_operands");
        assertAllPass();
    }

    /** Split-11 takes sizes as attribute 'split', or splits equally into as many parts as it has outputs. */
    @Test
    void split11TakesAttributeSizes() {
        new NodeTestWriter("Split", 11)
                .integer("axis", 1)
                .ints("split", 1, 2)
                .input("x", floats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))
                .output("a", floats(new long[] {2, 1}, 1, 4))
                .output("b", floats(new long[] {2, 2}, 2, 3, 5, 6))
                .write(root, "test_split11_attribute");
        new NodeTestWriter("Split", 11)
                .input("x", floats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6))
                .output("a", floats(new long[] {1, 2}, 1, 2))
                .output("b", floats(new long[] {1, 2}, 3, 4))
                .output("c", floats(new long[] {1, 2}, 5, 6))
                .write(root, "test_split11_equal_parts");
        assertAllPass();
    }

    /**
     * Resize-10 (asymmetric, floor) and Resize-11 with an empty roi, in the forms PyTorch and TF
     * exporters write: nearest upsampling by 2, and linear with align_corners from width 2 to 3.
     */
    @Test
    void resize10And11() {
        float[] x = {1, 2, 3, 4};
        float[] nearest = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
        long[] in = {1, 1, 2, 2};
        long[] up = {1, 1, 4, 4};
        new NodeTestWriter("Resize", 10)
                .string("mode", "nearest")
                .input("x", floats(in, x))
                .input("scales", floats(new long[] {4}, 1, 1, 2, 2))
                .output("y", floats(up, nearest))
                .write(root, "test_resize10_nearest");
        new NodeTestWriter("Resize", 11)
                .string("mode", "nearest")
                .string("coordinate_transformation_mode", "asymmetric")
                .string("nearest_mode", "floor")
                .input("x", floats(in, x))
                .input("roi", floats(new long[] {0}))
                .input("scales", floats(new long[] {4}, 1, 1, 2, 2))
                .output("y", floats(up, nearest))
                .write(root, "test_resize11_nearest_asymmetric");
        new NodeTestWriter("Resize", 11)
                .string("mode", "linear")
                .string("coordinate_transformation_mode", "align_corners")
                .input("x", floats(in, x))
                .input("roi", floats(new long[] {0}))
                .input("scales", floats(new long[] {4}, 1, 1, 1, 1.5f))
                .output("y", floats(new long[] {1, 1, 2, 3}, 1, 1.5f, 2, 3, 3.5f, 4))
                .write(root, "test_resize11_linear_align_corners");
        assertAllPass();
    }

    private void assertAllPass() {
        List<NodeTestCase> tests = NodeTestCase.discover(root, Pattern.compile(""));
        ConformanceSummary s =
                new ConformanceRunner(ConformanceRunner.Options.defaults(), TestIndex.empty(), r -> {}).run(tests);
        String failures = s.results().stream()
                .filter(r -> !r.passed())
                .map(TestResult::line)
                .collect(Collectors.joining("\n"));
        assertEquals("", failures);
        assertEquals(tests.size(), s.passed());
    }
}
