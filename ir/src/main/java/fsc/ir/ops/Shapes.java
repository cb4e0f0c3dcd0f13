package fsc.ir.ops;

import fsc.ir.Dim;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Shape arithmetic shared by the shape rules: numpy broadcasting and sums of dimensions. */
public final class Shapes {
    private Shapes() {}

    /**
     * Numpy (ONNX multidirectional) broadcasting: shapes are aligned on the right, a dimension of 1
     * stretches, equal dimensions match. Empty when the shapes do not broadcast. A symbolic dimension
     * only matches itself or 1: we cannot prove {@code S == 384}.
     */
    public static Optional<List<Dim>> broadcast(List<Dim> a, List<Dim> b) {
        int rank = Math.max(a.size(), b.size());
        List<Dim> out = new ArrayList<>(rank);
        for (int i = 0; i < rank; i++) {
            Dim da = dimFromRight(a, rank - i);
            Dim db = dimFromRight(b, rank - i);
            if (da.equals(db) || isOne(db)) {
                out.add(da);
            } else if (isOne(da)) {
                out.add(db);
            } else if (sameWindowSize(da, db)) {
                out.add(simpler(da, db));
            } else {
                return Optional.empty();
            }
        }
        return Optional.of(out);
    }

    /**
     * Two different spatial sizes taken to be equal, as ONNX Runtime takes them until a run proves
     * otherwise: a feature pyramid adds an upsampled coarse map ({@code 2*floor((H+31)/32)}) to a
     * finer one ({@code floor((H+15)/16)}), equal exactly for the sizes the model is meant for (H a
     * multiple of 32 here). Only dims with a floor-division atom qualify (sizes that strided windows
     * made); the generated code checks the equality on every call ({@code BroadcastChecks}).
     */
    public static boolean sameWindowSize(Dim a, Dim b) {
        return !a.isFixed() && !b.isFixed() && (a.hasFloorDiv() || b.hasFloorDiv());
    }

    /** The shorter of two dims taken as equal (then the first in text order): deterministic. */
    private static Dim simpler(Dim a, Dim b) {
        String x = a.toString();
        String y = b.toString();
        if (x.length() != y.length()) {
            return x.length() < y.length() ? a : b;
        }
        return x.compareTo(y) <= 0 ? a : b;
    }

    /** Dimension {@code fromRight} places from the end (1 = last), or 1 when the shape is shorter. */
    private static Dim dimFromRight(List<Dim> dims, int fromRight) {
        int i = dims.size() - fromRight;
        return i < 0 ? Dim.of(1) : dims.get(i);
    }

    /** Whether {@code from} broadcasts to exactly {@code to} (ONNX unidirectional broadcasting). */
    public static boolean broadcastsTo(List<Dim> from, List<Dim> to) {
        return broadcast(from, to).filter(to::equals).isPresent();
    }

    public static boolean isOne(Dim d) {
        return d.isFixed() && d.value() == 1;
    }

    /** {@code a + b}: always a dim, a sum when the monomials differ ({@code P+S}). */
    public static Dim add(Dim a, Dim b) {
        return a.plus(b);
    }

    /** {@code a - b}. */
    public static Dim subtract(Dim a, Dim b) {
        return a.minus(b);
    }

    /** {@code a * b} on shape contents, where fixed values may be negative. */
    public static Dim multiply(Dim a, Dim b) {
        return a.times(b);
    }

    /** Shapes as text for diagnostics: {@code [B,S,384]}. */
    public static String show(List<Dim> dims) {
        return dims.stream().map(Dim::toString).collect(java.util.stream.Collectors.joining(",", "[", "]"));
    }
}
