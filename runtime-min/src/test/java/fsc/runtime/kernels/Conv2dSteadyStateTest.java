package fsc.runtime.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each conv kernel, once C2 has compiled it, allocates nothing per call: no scratch buffers, no
 * boxed vectors. A {@code FloatVector} handed to a helper C2 does not inline is boxed and the
 * helper runs the Vector API's Java fallback with an array per operation; that cost the classifier
 * 1.8 MB per call (DepthwiseConv2d through {@code ConvActivation.apply(FloatVector)}) before
 * {@link ConvRowEpilogue}. Small shapes of each kernel (depthwise with a short plane and tails, its flat kernel at stride 1 and 2,
 * pointwise, stride-2 im2col, band at stride 1 and 2) with every activation, weights packed on
 * every call (as when they are not constants), measured by {@link SteadyStateCheck} (in a fresh
 * JVM too when this one's code shape allocates).
 */
class Conv2dSteadyStateTest {
    enum Kernel {
        DEPTHWISE(new ConvShape(8, 3, 40, 8, 5, 5, 1, 1, 2, 2, 1, 1, 8, 3, 40)),
        DEPTHWISE_FLAT(new ConvShape(8, 12, 20, 8, 5, 5, 1, 1, 2, 2, 1, 1, 8, 12, 20)),
        DEPTHWISE_FLAT_STRIDE2(new ConvShape(8, 13, 37, 8, 3, 3, 2, 2, 1, 1, 1, 1, 8, 7, 19)),
        POINTWISE(new ConvShape(16, 3, 40, 24, 1, 1, 1, 1, 0, 0, 1, 1, 1, 3, 40)),
        STRIDE2_IM2COL(new ConvShape(3, 12, 50, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 6, 25)),
        BAND(new ConvShape(12, 10, 37, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 10, 37)),
        STRIDE2_BAND(new ConvShape(16, 12, 40, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 6, 20)),
        CONV_GEMM_POINTWISE(new ConvShape(300, 3, 7, 10, 1, 1, 1, 1, 0, 0, 1, 1, 1, 3, 7));

        final ConvShape shape;

        Kernel(ConvShape shape) {
            this.shape = shape;
        }
    }

    @ParameterizedTest
    @EnumSource(Kernel.class)
    void steadyStateCallsAllocateNothing(Kernel kernel) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            SteadyStateCheck.assertSteady(
                    kernel.name(),
                    steadyCall(kernel.name(), arena),
                    Conv2dSteadyStateTest.class,
                    "steadyCall",
                    kernel.name());
        }
    }

    /** Calls of {@code kernel}'s conv, cycling through the activations; {@link SteadyStateCheck}'s factory. */
    static Runnable steadyCall(String kernel, Arena arena) {
        ConvShape s = Kernel.valueOf(kernel).shape;
        Conv2d conv = new Conv2d(s);
        MemorySegment x = arena.allocate((long) s.channels() * s.inPixels() * 4, 64);
        MemorySegment w = arena.allocate((long) s.filters() * s.columnRows() * 4, 64);
        MemorySegment b = arena.allocate((long) s.filters() * 4, 64);
        MemorySegment y = arena.allocate((long) s.filters() * s.outPixels() * 4, 64);
        for (long i = 0; i < x.byteSize() / 4; i++) {
            x.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (i % 13) * 0.37f - 2f);
        }
        for (long i = 0; i < w.byteSize() / 4; i++) {
            w.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (i % 7) * 0.1f - 0.3f);
        }
        ConvActivation[] acts = ConvActivation.values();
        int[] call = {0};
        return () -> conv.run(1, x, 0, w, 0, b, 0, y, 0, acts[call[0]++ % acts.length], 0f, 6f, null);
    }
}
