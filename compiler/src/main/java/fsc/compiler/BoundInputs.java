package fsc.compiler;

import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.WeightData;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import fsc.runtime.io.TensorFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@code --bind NAME=FILE}: graph inputs replaced by the constant in FILE ({@code .npy} or ONNX
 * {@code .pb}), so shapes, axes or indices that an input carries are known at compile time.
 */
final class BoundInputs {
    private BoundInputs() {}

    /** The data of every binding, by input name. */
    static SortedMap<String, WeightData> read(Map<String, Path> bindings) {
        SortedMap<String, WeightData> out = new TreeMap<>();
        bindings.forEach((name, file) -> out.put(name, read(name, file)));
        return out;
    }

    private static WeightData read(String name, Path file) {
        Tensor t;
        try {
            t = TensorFiles.read(file);
        } catch (RuntimeFailure e) {
            throw new FscException("--bind " + name + "=" + file + ": "
                    + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
        ByteBuffer bytes =
                ByteBuffer.allocate(Math.toIntExact(t.data().byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        bytes.put(t.data().asByteBuffer()).flip();
        DType dtype = DType.valueOf(t.type().name());
        return new WeightData(dtype, Arrays.stream(t.shape()).boxed().toList(), bytes);
    }
}
