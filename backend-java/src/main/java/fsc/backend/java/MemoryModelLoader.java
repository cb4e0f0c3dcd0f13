package fsc.backend.java;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Defines the classes of a batch of in-memory models ({@link InMemoryModels#compile}). A generated
 * model maps its weights from {@code fsc/weights.bin} next to where its class was loaded from; so
 * each model's classes get a code source of their own, a folder under {@code scratch} holding that
 * file. Used by the ONNX conformance runner and by the quantization report's timing of variants.
 */
public final class MemoryModelLoader extends ClassLoader {
    private final Map<String, byte[]> bytes = new HashMap<>();
    private final Map<String, ProtectionDomain> domains = new HashMap<>();

    /** {@code loaderName}: the loader's name in stack traces ({@code fsc-conformance}, ...). */
    public MemoryModelLoader(String loaderName, List<InMemoryModels.Model> models, Path scratch, ClassLoader parent) {
        super(loaderName, parent);
        for (int i = 0; i < models.size(); i++) {
            InMemoryModels.Model m = models.get(i);
            ProtectionDomain pd = domain(scratch.resolve("m" + i), m.weights());
            m.classes().forEach((name, b) -> {
                bytes.put(name, b);
                domains.put(name, pd);
            });
        }
    }

    private static ProtectionDomain domain(Path dir, byte[] weights) {
        try {
            Path file = dir.resolve(InMemoryModels.WEIGHTS_ENTRY);
            Files.createDirectories(file.getParent());
            Files.write(file, weights);
            return new ProtectionDomain(new CodeSource(dir.toUri().toURL(), (CodeSigner[]) null), null);
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model weights under " + dir, e);
        }
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] b = bytes.get(name);
        if (b == null) {
            throw new ClassNotFoundException(name);
        }
        return defineClass(name, b, 0, b.length, domains.get(name));
    }
}
