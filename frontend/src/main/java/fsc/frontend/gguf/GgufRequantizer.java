package fsc.frontend.gguf;

import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.WeightData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Re-quantizes a GGUF decoder's F32/F16/BF16 weights to one of llama.cpp's file types at compile
 * time, as {@code llama-quantize} would: {@link #plan} decides every tensor's type by llama.cpp's
 * rules ({@link LlamaQuantRules}) and refuses, before any work, a plan fsc cannot carry out; {@link
 * #quantize} converts one weight with ggml's reference quantizers ({@link GgufQuantizer}), rows in
 * parallel (each row is independent, so the bytes do not depend on the thread count).
 */
public final class GgufRequantizer {
    private GgufRequantizer() {}

    /** Rows per parallel task: enough values that a task is worth scheduling. */
    private static final int VALUES_PER_TASK = 1 << 16;

    /**
     * Every tensor of {@code file} whose type changes under file type {@code f}, with its new type, in
     * name order. Refuses in one line (naming the tensor) a tensor llama.cpp would store in a type fsc
     * cannot write, and a tensor that is already quantized to another type (llama-quantize, too,
     * refuses to re-quantize without {@code --allow-requantize}).
     */
    public static Map<String, GgmlType> plan(GgufFile file, GgufFileType f, LlamaQuantRules.Model m) {
        TreeMap<String, GgmlType> plan = new TreeMap<>();
        String option = "--quantize " + f.cliName();
        for (GgufTensorInfo t : file.tensors()) {
            GgmlType target = LlamaQuantRules.targetType(f, t, m);
            if (target == t.type()) {
                continue;
            }
            if (!isFloat(t.type())) {
                throw new FscException(file.label() + ": " + option + " re-quantizes F32, F16 and BF16 weights; "
                        + t.name() + " is already " + t.type() + " (compile the file as it is, or start from"
                        + " an F16/F32 export)");
            }
            if (!GgufQuantizer.supports(target)) {
                throw new FscException(file.label() + ": " + option + ": llama.cpp stores " + t.name()
                        + " (rows of " + t.dims().get(0) + " values) as " + target + ", which fsc cannot write"
                        + (f.defaultType().blockSize() > 32
                                        && t.dims().get(0) % f.defaultType().blockSize() != 0
                                ? " (its rows are not a multiple of "
                                        + f.defaultType().blockSize() + "); use q4_0 or q8_0"
                                : ""));
            }
            plan.put(t.name(), target);
        }
        return plan;
    }

    /** The model facts the rules ask about, for {@code file} with {@code layers}, heads and KV heads. */
    public static LlamaQuantRules.Model model(GgufFile file, String arch, int layers, int heads, int kvHeads) {
        return new LlamaQuantRules.Model(
                arch, layers, heads, kvHeads, file.findTensor("output.weight").isEmpty());
    }

    /** {@code w} (F32, F16 or BF16, rows along its last dimension) converted to {@code target}. */
    public static WeightData quantize(WeightData w, GgmlType target) {
        DType from = w.dtype();
        if (from != DType.F32 && from != DType.F16 && from != DType.BF16) {
            throw new IllegalStateException("GgufRequantizer: cannot re-quantize " + from.irName());
        }
        int rowLength = Math.toIntExact(w.dims().getLast());
        long rows = w.elementCount() / rowLength;
        long rowBytes = target.bytesFor(rowLength);
        if (rowBytes < 0) {
            throw new IllegalStateException(
                    "GgufRequantizer: rows of " + rowLength + " are not whole " + target + " blocks");
        }
        MemorySegment out = Arena.ofAuto().allocate(rows * rowBytes, 64);
        ByteBuffer src = w.view();
        int elementBytes = from == DType.F32 ? 4 : 2;
        int rowsPerTask = Math.max(1, VALUES_PER_TASK / rowLength);
        int tasks = Math.toIntExact((rows + rowsPerTask - 1) / rowsPerTask);
        IntStream.range(0, tasks).parallel().forEach(task -> {
            float[] row = new float[rowLength];
            long end = Math.min(rows, (long) (task + 1) * rowsPerTask);
            for (long r = (long) task * rowsPerTask; r < end; r++) {
                int base = Math.toIntExact(r * rowLength * elementBytes);
                for (int i = 0; i < rowLength; i++) {
                    int at = base + i * elementBytes;
                    row[i] = switch (from) {
                        case F32 -> src.getFloat(at);
                        case F16 -> Float.float16ToFloat(src.getShort(at));
                        default -> Float.intBitsToFloat(src.getShort(at) << 16);
                    };
                }
                GgufQuantizer.quantize(target, row, 0, rowLength, out, r * rowBytes);
            }
        });
        ByteBuffer bytes = out.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return new WeightData(target.dtype("re-quantized weight"), w.dims(), bytes);
    }

    private static boolean isFloat(GgmlType t) {
        return t == GgmlType.F32 || t == GgmlType.F16 || t == GgmlType.BF16;
    }
}
