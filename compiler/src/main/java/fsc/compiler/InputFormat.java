package fsc.compiler;

import fsc.ir.FscException;
import java.nio.file.Path;

/** What the driver can read, told by the file name's extension. */
public enum InputFormat {
    /** An ONNX model: imported, then the whole pipeline. */
    ONNX("ONNX models"),
    /** A GGUF decoder: the step graph is built from its metadata; the jar also gets {@code fsc/llm.json}. */
    GGUF("GGUF decoders"),
    /** Textual IR ({@code --dump-ir} output or hand-written): parsed, then the pipeline's remaining passes. */
    FSIR(".fsir files");

    /** How an error names inputs of this format ("--bind does not apply to GGUF decoders"). */
    public final String plural;

    InputFormat(String plural) {
        this.plural = plural;
    }

    public static InputFormat of(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".onnx")) {
            return ONNX;
        }
        if (name.endsWith(".gguf")) {
            return GGUF;
        }
        if (name.endsWith(".fsir")) {
            return FSIR;
        }
        throw new FscException(
                file + ": unsupported model format", "fsc compiles .onnx, .gguf and .fsir files in this build");
    }
}
