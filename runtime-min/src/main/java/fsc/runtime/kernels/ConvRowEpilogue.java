package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * A conv's epilogue over one contiguous run of its output, in place: {@code y = act(y + bias)}.
 * One loop per activation with the switch outside it, and only scalars and segments cross the
 * call, so every vector operation stays inside one small loop that C2 compiles with its
 * intrinsics. A helper taking or returning a {@code FloatVector} (the earlier {@code
 * ConvActivation.apply(FloatVector)}) is not reliably inlined: when C2 declined it ("callee is too
 * large", or its tier-3 code already too big), each call boxed its vector and ran the Vector API's
 * Java fallback, 1.8 MB of garbage and a 1.5× slower MobileNet per call. The operations and their
 * order are those of {@link ConvActivation#apply}.
 */
final class ConvRowEpilogue {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private ConvRowEpilogue() {}

    /** {@code y[i] = act(y[i] + bias)} for the {@code count} floats at byte offset {@code at}. */
    static void biasActivate(MemorySegment y, long at, int count, float bias, ConvActivation act, float lo, float hi) {
        biasActivateCopy(y, at, y, at, count, bias, act, lo, hi);
    }

    /**
     * {@code dst[i] = act(src[i] + bias)} for the {@code count} floats at byte offsets {@code from}
     * and {@code to} (the same run in place, or a GEMM's accumulator tile copied to its output
     * pixels).
     */
    static void biasActivateCopy(
            MemorySegment src,
            long from,
            MemorySegment dst,
            long to,
            int count,
            float bias,
            ConvActivation act,
            float lo,
            float hi) {
        int bound = count - count % VL;
        long end = (long) bound * 4;
        switch (act) {
            case NONE -> {
                for (long p = 0; p < end; p += VL * 4L) {
                    FloatVector.fromMemorySegment(S, src, from + p, LE)
                            .add(bias)
                            .intoMemorySegment(dst, to + p, LE);
                }
            }
            case RELU -> {
                for (long p = 0; p < end; p += VL * 4L) {
                    FloatVector.fromMemorySegment(S, src, from + p, LE)
                            .add(bias)
                            .max(0f)
                            .intoMemorySegment(dst, to + p, LE);
                }
            }
            case CLIP -> {
                for (long p = 0; p < end; p += VL * 4L) {
                    FloatVector.fromMemorySegment(S, src, from + p, LE)
                            .add(bias)
                            .max(lo)
                            .min(hi)
                            .intoMemorySegment(dst, to + p, LE);
                }
            }
            case HARD_SWISH -> {
                for (long p = 0; p < end; p += VL * 4L) {
                    FloatVector v =
                            FloatVector.fromMemorySegment(S, src, from + p, LE).add(bias);
                    v.mul(v.add(3f).max(0f).min(6f)).div(6f).intoMemorySegment(dst, to + p, LE);
                }
            }
        }
        if (bound < count) {
            // The tail as one masked vector (late MobileNet rows are 24 or 12 floats wide).
            VectorMask<Float> m = S.indexInRange(bound, count);
            FloatVector v =
                    FloatVector.fromMemorySegment(S, src, from + end, LE, m).add(bias);
            v = switch (act) {
                case NONE -> v;
                case RELU -> v.max(0f);
                case CLIP -> v.max(lo).min(hi);
                case HARD_SWISH -> v.mul(v.add(3f).max(0f).min(6f)).div(6f);
            };
            v.intoMemorySegment(dst, to + end, LE, m);
        }
    }

    /**
     * {@code y[i] = act(y[i])} for the {@code count} floats at byte offset {@code at} (the bias is
     * already in: the depthwise kernel starts its sums from it).
     */
    static void activate(MemorySegment y, long at, int count, ConvActivation act, float lo, float hi) {
        int bound = count - count % VL;
        long end = at + (long) bound * 4;
        switch (act) {
            case NONE -> {
                return;
            }
            case RELU -> {
                for (long p = at; p < end; p += VL * 4L) {
                    FloatVector.fromMemorySegment(S, y, p, LE).max(0f).intoMemorySegment(y, p, LE);
                }
            }
            case CLIP -> {
                for (long p = at; p < end; p += VL * 4L) {
                    FloatVector.fromMemorySegment(S, y, p, LE).max(lo).min(hi).intoMemorySegment(y, p, LE);
                }
            }
            case HARD_SWISH -> {
                for (long p = at; p < end; p += VL * 4L) {
                    FloatVector v = FloatVector.fromMemorySegment(S, y, p, LE);
                    v.mul(v.add(3f).max(0f).min(6f)).div(6f).intoMemorySegment(y, p, LE);
                }
            }
        }
        if (bound < count) {
            VectorMask<Float> m = S.indexInRange(bound, count);
            long p = end;
            FloatVector v = FloatVector.fromMemorySegment(S, y, p, LE, m);
            v = switch (act) {
                case NONE -> v;
                case RELU -> v.max(0f);
                case CLIP -> v.max(lo).min(hi);
                case HARD_SWISH -> v.mul(v.add(3f).max(0f).min(6f)).div(6f);
            };
            v.intoMemorySegment(y, p, LE, m);
        }
    }

    /**
     * {@code dst[i] = act(src[from + i])} for {@code count} floats, {@code dst} at byte {@code to}:
     * the depthwise flat kernel's finished rows, copied out of its scratch without their padding
     * columns.
     */
    static void activateCopy(
            float[] src, int from, MemorySegment dst, long to, int count, ConvActivation act, float lo, float hi) {
        int bound = count - count % VL;
        switch (act) {
            case NONE -> {
                for (int i = 0; i < bound; i += VL) {
                    FloatVector.fromArray(S, src, from + i).intoMemorySegment(dst, to + i * 4L, LE);
                }
            }
            case RELU -> {
                for (int i = 0; i < bound; i += VL) {
                    FloatVector.fromArray(S, src, from + i).max(0f).intoMemorySegment(dst, to + i * 4L, LE);
                }
            }
            case CLIP -> {
                for (int i = 0; i < bound; i += VL) {
                    FloatVector.fromArray(S, src, from + i).max(lo).min(hi).intoMemorySegment(dst, to + i * 4L, LE);
                }
            }
            case HARD_SWISH -> {
                for (int i = 0; i < bound; i += VL) {
                    FloatVector v = FloatVector.fromArray(S, src, from + i);
                    v.mul(v.add(3f).max(0f).min(6f)).div(6f).intoMemorySegment(dst, to + i * 4L, LE);
                }
            }
        }
        if (bound < count) {
            VectorMask<Float> m = S.indexInRange(bound, count);
            FloatVector v = FloatVector.fromArray(S, src, from + bound, m);
            v = switch (act) {
                case NONE -> v;
                case RELU -> v.max(0f);
                case CLIP -> v.max(lo).min(hi);
                case HARD_SWISH -> v.mul(v.add(3f).max(0f).min(6f)).div(6f);
            };
            v.intoMemorySegment(dst, to + bound * 4L, LE, m);
        }
    }
}
