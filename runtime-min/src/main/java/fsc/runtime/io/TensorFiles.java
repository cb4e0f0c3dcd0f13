package fsc.runtime.io;

import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import java.nio.file.Path;
import java.util.Locale;

/** Picks the tensor file format by extension: {@code .npy} (NumPy) or {@code .pb} (ONNX TensorProto). */
public final class TensorFiles {
    private TensorFiles() {}

    public static Tensor read(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npy")) {
            return Npy.read(file);
        }
        if (name.endsWith(".pb")) {
            return OnnxTensorFile.read(file);
        }
        throw new RuntimeFailure(file + ": unknown tensor file type; use .npy or .pb");
    }
}
