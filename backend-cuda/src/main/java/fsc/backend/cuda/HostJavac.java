package fsc.backend.cuda;

import com.palantir.javapoet.JavaFile;
import fsc.ir.FscException;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Compiles the host launcher class against the runtime, in process, into class-file bytes by jar entry name. */
final class HostJavac {
    private HostJavac() {}

    static SortedMap<String, byte[]> compile(JavaFile file, Path runtime) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new FscException("no Java compiler in this runtime", "run fsc on a JDK, not a JRE");
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("fsc-cuda-host");
            file.writeTo(dir.resolve("src"));
            Path classes = Files.createDirectories(dir.resolve("classes"));
            Path src = dir.resolve("src")
                    .resolve(file.packageName().replace('.', '/'))
                    .resolve(file.typeSpec().name() + ".java");
            StringWriter log = new StringWriter();
            boolean ok = javac.getTask(
                            log,
                            null,
                            null,
                            List.of(
                                    "--release",
                                    "25",
                                    "-proc:none",
                                    "-cp",
                                    runtime.toString(),
                                    "-d",
                                    classes.toString()),
                            null,
                            javac.getStandardFileManager(null, null, null).getJavaFileObjects(src))
                    .call();
            if (!ok) {
                throw new IllegalStateException("backend-cuda: the host launcher class does not compile:\n" + log);
            }
            SortedMap<String, byte[]> out = new TreeMap<>();
            try (Stream<Path> s = Files.walk(classes)) {
                for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                    out.put(classes.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
                }
            }
            return out;
        } catch (IOException e) {
            throw new FscException("cannot compile the CUDA host class: " + e.getMessage());
        } finally {
            if (dir != null) {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException ignored) {
                    // A leftover temporary folder is harmless.
                }
            }
        }
    }
}
