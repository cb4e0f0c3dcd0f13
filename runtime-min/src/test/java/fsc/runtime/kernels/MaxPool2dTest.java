package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link MaxPool2d} against the scalar window loop (the generated code's and ONNX's definition) bit
 * for bit: strides 1, 2 and 3, dilation, pads on every side, windows reaching past the input (as
 * ceil_mode gives), widths around the vector length and odd plane offsets; NaN and signed zeros.
 */
class MaxPool2dTest {
    static Stream<ConvShape> shapes() {
        return Stream.of(
                // channels, h, w, filters, kh, kw, sh, sw, padTop, padLeft, dh, dw, group, outH, outW
                new ConvShape(200, 2, 96, 200, 2, 2, 2, 2, 0, 0, 1, 1, 200, 1, 48), // MobileNetV3's
                new ConvShape(3, 9, 37, 3, 3, 3, 2, 2, 1, 1, 1, 1, 3, 5, 19),
                new ConvShape(2, 7, 17, 2, 3, 3, 1, 1, 1, 1, 1, 1, 2, 7, 17),
                new ConvShape(2, 7, 33, 2, 3, 2, 1, 1, 0, 0, 2, 3, 2, 3, 30),
                new ConvShape(4, 10, 50, 4, 3, 3, 3, 3, 1, 2, 1, 1, 4, 4, 18),
                new ConvShape(3, 8, 31, 3, 2, 2, 2, 2, 0, 0, 1, 1, 3, 4, 16), // ceil_mode: last window half out
                new ConvShape(1, 3, 5, 1, 3, 3, 2, 2, 2, 2, 1, 1, 1, 3, 4), // a window entirely in the pads
                new ConvShape(5, 4, 1, 5, 1, 1, 1, 1, 0, 0, 1, 1, 5, 4, 1),
                new ConvShape(2, 5, 70, 2, 5, 5, 2, 2, 2, 2, 1, 1, 2, 3, 35));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void matchesTheWindowLoop(ConvShape s) {
        for (int threads : new int[] {1, 2}) {
            check(s, 2, threads, 0);
            check(s, 1, threads, 12); // odd offsets
        }
    }

    @Test
    void nanAndSignedZerosFollowMathMax() {
        ConvShape s = new ConvShape(2, 6, 40, 2, 3, 3, 2, 2, 1, 1, 1, 1, 2, 3, 20);
        check(s, 1, 1, 4, new float[] {Float.NaN, -0f, 0f, Float.NEGATIVE_INFINITY});
    }

    @Test
    void steadyStateCallsAllocateNothing() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            SteadyStateCheck.assertSteady("MaxPool2d", steadyCall("", arena), MaxPool2dTest.class, "steadyCall", "");
        }
    }

    /** One call of a 16-channel stride-2 pool, its operands in {@code arena}; {@link SteadyStateCheck}'s factory. */
    static Runnable steadyCall(String unused, Arena arena) {
        ConvShape s = new ConvShape(16, 6, 45, 16, 3, 3, 2, 2, 1, 1, 1, 1, 16, 3, 23);
        MaxPool2d pool = new MaxPool2d(s);
        MemorySegment x = arena.allocate((long) s.channels() * s.inPixels() * 4, 64);
        MemorySegment y = arena.allocate((long) s.channels() * s.outPixels() * 4, 64);
        return () -> pool.run(1, x, 0, y, 0, null);
    }

    private static void check(ConvShape s, int batch, int threads, long offset) {
        check(s, batch, threads, offset, null);
    }

    private static void check(ConvShape s, int batch, int threads, long offset, float[] specials) {
        Random r = new Random(s.hashCode() + 31L * batch);
        int inFloats = batch * s.channels() * s.inPixels();
        int outFloats = batch * s.channels() * s.outPixels();
        float[] xs = new float[inFloats];
        for (int i = 0; i < inFloats; i++) {
            xs[i] = specials != null && r.nextInt(5) == 0
                    ? specials[r.nextInt(specials.length)]
                    : (float) r.nextGaussian();
        }
        // Shared: with two threads the pool's worker reads and writes these segments.
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = arena.allocate(offset + 4L * inFloats, 64);
            MemorySegment y = arena.allocate(offset + 4L * outFloats, 64);
            MemorySegment.copy(xs, 0, x, ValueLayout.JAVA_FLOAT_UNALIGNED, offset, inFloats);
            y.fill((byte) 0x7f);
            MaxPool2d pool = new MaxPool2d(s);
            try (Parallelism par = threads == 1 ? null : Parallelism.of(threads)) {
                pool.run(batch, x, offset, y, offset, par);
            }
            float[] want = reference(s, batch, xs);
            for (int i = 0; i < outFloats; i++) {
                float got = y.get(ValueLayout.JAVA_FLOAT_UNALIGNED, offset + 4L * i);
                assertEquals(
                        Float.floatToRawIntBits(want[i]),
                        Float.floatToRawIntBits(got),
                        s + " batch " + batch + " threads " + threads + " output " + i + ": " + want[i] + " vs " + got);
            }
        }
    }

    /** The scalar window loop: the max of the window's positions inside the input, −∞ when none. */
    static float[] reference(ConvShape s, int batch, float[] x) {
        float[] y = new float[batch * s.channels() * s.outPixels()];
        for (int p = 0; p < batch * s.channels(); p++) {
            for (int oy = 0; oy < s.outH(); oy++) {
                for (int ox = 0; ox < s.outW(); ox++) {
                    float acc = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < s.kernelH(); ky++) {
                        for (int kx = 0; kx < s.kernelW(); kx++) {
                            int iy = oy * s.strideH() - s.padTop() + ky * s.dilationH();
                            int ix = ox * s.strideW() - s.padLeft() + kx * s.dilationW();
                            if (iy >= 0 && iy < s.height() && ix >= 0 && ix < s.width()) {
                                acc = Math.max(acc, x[p * s.inPixels() + iy * s.width() + ix]);
                            }
                        }
                    }
                    y[p * s.outPixels() + oy * s.outW() + ox] = acc;
                }
            }
        }
        return y;
    }
}
