package fsc.backend.java;

import fsc.ir.FscException;
import java.util.Locale;

/**
 * How to name and label the generated code.
 *
 * @param packageName package of the generated classes, e.g. {@code fsc.generated.minilm}
 * @param className simple name of the model class, e.g. {@code MinilmModel}
 * @param sourceLabel what the banner says the code was generated from, e.g. {@code model.onnx}
 * @param sourceSha256 the source's sha256 for the banner, or empty when unknown
 * @param fscVersion the compiler version for the banner
 */
public record JavaBackendOptions(
        String packageName, String className, String sourceLabel, String sourceSha256, String fscVersion) {

    public static final String DEFAULT_VERSION = "0.1.0-SNAPSHOT";

    public JavaBackendOptions {
        if (!javax.lang.model.SourceVersion.isName(packageName)) {
            throw new FscException("'" + packageName + "' is not a valid Java package name");
        }
        if (!javax.lang.model.SourceVersion.isIdentifier(className) || className.equals("Main")) {
            throw new FscException("'" + className + "' is not a usable Java class name");
        }
    }

    /** Package {@code fsc.generated.<name>} and class {@code <Name>Model}, both derived from the model name. */
    public static JavaBackendOptions forModel(String modelName) {
        String word = modelName.replaceAll("[^A-Za-z0-9]+", "_").replaceAll("^_+|_+$", "");
        if (word.isEmpty() || !Character.isLetter(word.charAt(0))) {
            word = "m" + word;
        }
        String pkg = "fsc.generated." + word.toLowerCase(Locale.ROOT);
        StringBuilder cls = new StringBuilder();
        for (String part : word.split("_")) {
            if (!part.isEmpty()) {
                cls.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        cls.append("Model");
        return new JavaBackendOptions(pkg, cls.toString(), modelName, "", DEFAULT_VERSION);
    }

    public JavaBackendOptions withSource(String label, String sha256) {
        return new JavaBackendOptions(packageName, className, label, sha256, fscVersion);
    }

    public String qualifiedClassName() {
        return packageName + "." + className;
    }
}
