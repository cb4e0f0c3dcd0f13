package fsc.backend.cuda;

import fsc.ir.FscException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * CUDA C → PTX with {@code nvcc -ptx}, the fallback when NVRTC is absent (it is on build machines
 * without a driver). The source goes through a private temporary folder; a failure is an {@link
 * FscException} carrying nvcc's log and the numbered source lines it points at.
 */
public final class Nvcc {
    private final Path executable;

    private Nvcc(Path executable) {
        this.executable = executable;
    }

    /** nvcc from {@code path} (the PATH variable's value, passed in by the caller), if there is one. */
    public static Optional<Nvcc> find(String path) {
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, "nvcc");
            if (Files.isExecutable(p)) {
                return Optional.of(new Nvcc(p));
            }
        }
        return Optional.empty();
    }

    public Path executable() {
        return executable;
    }

    /** PTX for {@code arch} (e.g. {@code sm_90}) of {@code source}, named {@code name} in messages. */
    public String ptx(String source, String name, String arch) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("fsc-nvcc");
            Path cu = dir.resolve("model.cu");
            Path out = dir.resolve("model.ptx");
            Files.writeString(cu, source, StandardCharsets.UTF_8);
            List<String> cmd = new ArrayList<>(List.of(
                    executable.toString(),
                    "-ptx",
                    "-arch=" + arch,
                    "-std=c++17",
                    "-lineinfo",
                    "-o",
                    out.toString(),
                    cu.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc != 0) {
                throw new FscException(
                        name + ": nvcc failed (exit " + rc + "):\n" + log.replace(cu.toString(), name)
                                + excerpts(source, log),
                        "this is a bug in fsc's CUDA emitter; the full source is in --dump-cuda DIR");
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new FscException("cannot run " + executable + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FscException("interrupted while running nvcc");
        } finally {
            deleteQuietly(dir);
        }
    }

    private static final Pattern LINE = Pattern.compile("\\((\\d+)\\): (error|warning)");

    /** The numbered source lines (±2) around every line the log names, each once, in order. */
    static String excerpts(String source, String log) {
        List<String> lines = source.lines().toList();
        java.util.TreeSet<Integer> wanted = new java.util.TreeSet<>();
        Matcher m = LINE.matcher(log);
        while (m.find()) {
            int at = Integer.parseInt(m.group(1));
            for (int i = Math.max(1, at - 2); i <= Math.min(lines.size(), at + 2); i++) {
                wanted.add(i);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int i : wanted) {
            sb.append(String.format("%6d | %s%n", i, lines.get(i - 1)));
        }
        return sb.toString();
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A leftover temporary folder is harmless; the compile result is what matters.
        }
    }
}
