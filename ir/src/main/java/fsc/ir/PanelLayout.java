package fsc.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code panelW} layout of a GEMM weight, chosen by the {@code layout} pass. A constant typed
 * {@code f32[K,N]{panelW}} is the logical row-major matrix {@code B[K,N]} stored as {@code ceil(N/W)}
 * column panels, each {@code K × W} floats row by row, the last one zero-padded: exactly the bytes
 * {@code fsc.runtime.kernels.Sgemm.packB} writes when {@code W} is the CPU's panel width. Its weight
 * is therefore typed {@code f32[ceil(N/W), K, W]} ({@link #storageType}), so the checks that a
 * constant's weight matches its type keep working on packed bytes.
 *
 * <p>The same layout holds s8 weights ({@code i8[K,N]{panelW}}, the {@code quant-gemm} pass, read by
 * {@code fsc.runtime.kernels.Int8Gemm}) with one byte per element.
 *
 * <p>This class is the single definition of the layout inside the compiler: the pass packs with it,
 * the verifier and the text reader check weights with it, and the interpreter unpacks with it.
 */
public final class PanelLayout {
    private static final Pattern TAG = Pattern.compile("panel([1-9][0-9]*)");

    private PanelLayout() {}

    /** The layout tag for panels of {@code width} columns, e.g. {@code panel16}. */
    public static String tag(int width) {
        if (width <= 0) {
            throw new IllegalArgumentException("panel width " + width + " is not positive");
        }
        return "panel" + width;
    }

    /** The panel width a layout tag names, or empty for row-major and other layouts. */
    public static OptionalInt width(String layout) {
        Matcher m = TAG.matcher(layout);
        return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
    }

    /**
     * The type of the weight that backs a constant of type {@code t}: {@code t} itself when
     * row-major, {@code f32[ceil(N/W), K, W]} for {@code f32[K,N]{panelW}}. Other layouts name their
     * row-major weight (the backend lays them out).
     */
    public static TensorType storageType(TensorType t) {
        OptionalInt w = width(t.layout());
        if (w.isEmpty()) {
            return t.withLayout("");
        }
        if (!packable(t.dtype()) || t.rank() != 2 || !t.isStatic()) {
            throw new FscException("layout {" + t.layout() + "} needs a fixed-size f32 or i8 matrix, not " + t);
        }
        long k = t.dim(0).value();
        long n = t.dim(1).value();
        return TensorType.of(t.dtype(), panels(n, w.getAsInt()), k, w.getAsInt());
    }

    /**
     * Packs a row-major f32 weight into panels of {@code width} columns. The weight is {@code [K,N]},
     * or {@code [N,K]} when {@code transposed} (ONNX Gemm's {@code transB}, PyTorch Linear), and the
     * result always holds {@code B[K,N]}.
     */
    public static WeightData pack(WeightData w, boolean transposed, int width) {
        if (!packable(w.dtype()) || w.dims().size() != 2) {
            throw new IllegalArgumentException("only f32 and i8 matrices are packed, not " + w.type());
        }
        int size = Math.toIntExact(w.dtype().bytesFor(1));
        int rows = Math.toIntExact(w.dims().get(0));
        int cols = Math.toIntExact(w.dims().get(1));
        int k = transposed ? cols : rows;
        int n = transposed ? rows : cols;
        int panels = Math.toIntExact(panels(n, width));
        ByteBuffer src = w.view();
        ByteBuffer dst = ByteBuffer.allocate(Math.multiplyExact(Math.multiplyExact(panels, k), width) * size)
                .order(ByteOrder.LITTLE_ENDIAN);
        // Walk the source in its storage order (LLM weights are hundreds of MB): element (kk, col)
        // of B sits at source index i, so a row-major source is read row by row, a transposed one
        // column by column of B.
        long count = (long) k * n;
        for (long i = 0; i < count; i++) {
            int kk = (int) (transposed ? i % k : i / n);
            int col = (int) (transposed ? i / k : i % n);
            long at = (((long) (col / width) * k + kk) * width + col % width) * size;
            copy(src, Math.toIntExact(i * size), dst, Math.toIntExact(at), size);
        }
        return new WeightData(w.dtype(), List.of((long) panels, (long) k, (long) width), dst);
    }

    /**
     * The row-major weight behind a constant of type {@code t}: {@code w} itself unless {@code t} is
     * {@code {panelW}}, otherwise {@code w}'s panels copied back into {@code [K,N]} (padding dropped).
     */
    public static WeightData rowMajor(WeightData w, TensorType t) {
        OptionalInt width = width(t.layout());
        if (width.isEmpty()) {
            return w;
        }
        if (!w.type().equals(storageType(t))) {
            throw new IllegalStateException("weight " + w.type() + " does not store " + t);
        }
        int wd = width.getAsInt();
        int k = Math.toIntExact(t.dim(0).value());
        int n = Math.toIntExact(t.dim(1).value());
        int size = Math.toIntExact(t.dtype().bytesFor(1));
        ByteBuffer src = w.view();
        ByteBuffer dst = ByteBuffer.allocate(Math.multiplyExact(k, n) * size).order(ByteOrder.LITTLE_ENDIAN);
        for (int kk = 0; kk < k; kk++) {
            for (int col = 0; col < n; col++) {
                int from = ((col / wd * k + kk) * wd + col % wd) * size;
                copy(src, from, dst, (kk * n + col) * size, size);
            }
        }
        return new WeightData(t.dtype(), List.of((long) k, (long) n), dst);
    }

    private static boolean packable(DType t) {
        return t == DType.F32 || t == DType.I8;
    }

    private static void copy(ByteBuffer src, int from, ByteBuffer dst, int to, int size) {
        for (int b = 0; b < size; b++) {
            dst.put(to + b, src.get(from + b));
        }
    }

    private static long panels(long n, int width) {
        return (n + width - 1) / width;
    }
}
