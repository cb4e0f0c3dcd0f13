package fsc.backend.java;

import com.palantir.javapoet.JavaFile;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles generated sources with the JDK's own javac, in process: sources and class files stay in
 * memory. The class path is wherever the runtime was loaded from (its classes directory in a build, or
 * the fsc fat jar).
 */
final class InMemoryJavac {
    private InMemoryJavac() {}

    /** Compiles {@code files}; returns class file bytes by jar entry name ({@code a/b/C.class}), sorted. */
    static SortedMap<String, byte[]> compile(List<JavaFile> files, Path classpath) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new fsc.ir.FscException(
                    "no Java compiler in this runtime", "run fsc on a JDK 25 (not a JRE) so it can compile models");
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        SortedMap<String, byte[]> classes = new TreeMap<>();
        List<JavaFileObject> sources =
                files.stream().map(JavaFile::toJavaFileObject).toList();
        try (StandardJavaFileManager std = javac.getStandardFileManager(diagnostics, Locale.ROOT, null);
                MemoryOutput out = new MemoryOutput(std, classes)) {
            List<String> options = List.of(
                    "--release",
                    "25",
                    "--add-modules",
                    "jdk.incubator.vector",
                    "-classpath",
                    classpath.toString(),
                    "-proc:none",
                    "-Xlint:-incubating",
                    "-nowarn");
            boolean ok = javac.getTask(null, out, diagnostics, options, null, sources)
                    .call();
            if (!ok) {
                throw new JavacFailure(report(diagnostics, files));
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("javac file manager failed", e);
        }
        return classes;
    }

    private static String report(DiagnosticCollector<JavaFileObject> diagnostics, List<JavaFile> files) {
        StringBuilder b = new StringBuilder("generated Java did not compile (a backend bug):");
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) {
                continue;
            }
            String name = d.getSource() == null ? "?" : d.getSource().getName();
            b.append('\n')
                    .append(name)
                    .append(':')
                    .append(d.getLineNumber())
                    .append(": ")
                    .append(d.getMessage(Locale.ROOT));
            String src = sourceOf(d, files);
            if (src != null) {
                b.append(numbered(src, d.getLineNumber(), 3));
            }
        }
        return b.toString();
    }

    private static String sourceOf(Diagnostic<? extends JavaFileObject> d, List<JavaFile> files) {
        if (d.getSource() == null) {
            return null;
        }
        for (JavaFile f : files) {
            String path =
                    (f.packageName().replace('.', '/') + "/" + f.typeSpec().name() + ".java");
            if (d.getSource().toUri().getPath().endsWith(path)) {
                return f.toString();
            }
        }
        return null;
    }

    /** Lines {@code line ± context} of {@code src}, numbered, the offending line marked with {@code >}. */
    static String numbered(String src, long line, int context) {
        String[] lines = src.split("\n", -1);
        StringBuilder b = new StringBuilder();
        for (long i = Math.max(1, line - context); i <= Math.min(lines.length, line + context); i++) {
            b.append('\n')
                    .append(i == line ? "> " : "  ")
                    .append(String.format(Locale.ROOT, "%5d | ", i))
                    .append(lines[(int) i - 1]);
        }
        return b.toString();
    }

    /** Keeps every class file javac writes in {@code classes}. */
    private static final class MemoryOutput extends ForwardingJavaFileManager<StandardJavaFileManager> {
        private final SortedMap<String, byte[]> classes;

        MemoryOutput(StandardJavaFileManager std, SortedMap<String, byte[]> classes) {
            super(std);
            this.classes = classes;
        }

        @Override
        public JavaFileObject getJavaFileForOutput(
                Location location, String className, JavaFileObject.Kind kind, FileObject sibling) {
            String entry = className.replace('.', '/') + kind.extension;
            return new SimpleJavaFileObject(URI.create("mem:///" + entry), kind) {
                @Override
                public OutputStream openOutputStream() {
                    return new ByteArrayOutputStream() {
                        @Override
                        public void close() {
                            classes.put(entry, toByteArray());
                        }
                    };
                }
            };
        }
    }
}
