package fsc.cli;

import java.nio.file.Path;

/**
 * The id a model is served under when the user names none: its file's base name ({@code
 * stories.jar}, {@code stories.gguf} → {@code stories}), the same in {@code /v1/models}, in every
 * response's {@code model}, in metrics labels and in the access log.
 */
final class ModelIds {
    private ModelIds() {}

    static String of(Path path) {
        String name = path.getFileName().toString();
        for (String ext : new String[] {".jar", ".gguf", ".onnx"}) {
            if (name.endsWith(ext) && name.length() > ext.length()) {
                return name.substring(0, name.length() - ext.length());
            }
        }
        return name;
    }
}
