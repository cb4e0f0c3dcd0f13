package fsc.compiler;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code --calibrate DIR}: the calibration set, one sub-folder per sample (taken in name order), each
 * holding one {@code NAME.npy} per model input, named after the input. Every file is checked against
 * the model before any work: a missing, extra, unreadable or mistyped file is a one-line error naming
 * it. A symbolic dimension takes the sample's size (at most its bound, and the same wherever the
 * symbol appears in one sample), so samples may differ in length, as sentences do.
 */
final class CalibrationSet {
    private CalibrationSet() {}

    /** The samples of {@code dir} for {@code g}'s inputs, in folder-name order. */
    static List<Map<String, HostTensor>> load(Path dir, Graph g) {
        if (!Files.isDirectory(dir)) {
            throw new FscException("--calibrate " + dir + ": not a folder (expected one sub-folder per sample)");
        }
        List<Path> samples = list(dir).stream().filter(Files::isDirectory).toList();
        if (samples.isEmpty()) {
            throw new FscException("--calibrate " + dir + ": no sample sub-folders (expected one per sample, each"
                    + " with " + expected(g) + ")");
        }
        List<Map<String, HostTensor>> out = new ArrayList<>();
        for (Path sample : samples) {
            out.add(sample(sample, g));
        }
        return out;
    }

    private static Map<String, HostTensor> sample(Path dir, Graph g) {
        Map<String, Value> byFile = new TreeMap<>();
        g.inputs().forEach(v -> byFile.put(v.name() + ".npy", v));
        for (Path f : list(dir)) {
            if (!byFile.containsKey(f.getFileName().toString())) {
                throw new FscException(
                        "--calibrate: " + f + " is not an input of the model (expected " + expected(g) + ")");
            }
        }
        Map<String, Long> binding = new TreeMap<>();
        Map<String, HostTensor> in = new LinkedHashMap<>();
        for (Value v : g.inputs()) {
            Path f = dir.resolve(v.name() + ".npy");
            if (!Files.isRegularFile(f)) {
                throw new FscException("--calibrate: " + f + " is missing (the model's input '" + v.name() + "')");
            }
            Tensor t;
            try {
                t = Npy.read(f);
            } catch (RuntimeFailure e) {
                throw new FscException("--calibrate: " + f + ": " + e.getMessage());
            }
            in.put(v.name(), check(f, v, t, g.symbols(), binding));
        }
        return in;
    }

    /** {@code t} as a host tensor, after checking its type and shape against input {@code v}. */
    private static HostTensor check(Path f, Value v, Tensor t, Map<String, Long> bounds, Map<String, Long> binding) {
        DType want = v.dtype();
        DType got = DType.fromIrName(t.type().shortName());
        String shape = Arrays.toString(t.shape());
        if (got != want) {
            throw new FscException("--calibrate: " + f + " holds " + t.type().shortName() + shape + ", the input '"
                    + v.name() + "' is " + v.type());
        }
        List<Dim> dims = v.type().dims();
        boolean fits = dims.size() == t.rank();
        for (int i = 0; fits && i < dims.size(); i++) {
            Dim d = dims.get(i);
            long n = t.shape()[i];
            if (d.isFixed()) {
                fits = d.value() == n;
            } else if (d.symbols().size() == 1 && d.coeff() == 1) {
                String s = d.symbols().get(0);
                Long prev = binding.putIfAbsent(s, n);
                fits = n >= 1 && (prev == null || prev == n) && n <= bounds.getOrDefault(s, Long.MAX_VALUE);
            } else {
                fits = false; // a product of symbols cannot be solved from one size
            }
        }
        if (!fits) {
            throw new FscException("--calibrate: " + f + " has shape " + shape + ", the input '" + v.name() + "' is "
                    + v.type() + " (symbols: " + bounds + ")");
        }
        ByteBuffer b = t.data().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer copy = ByteBuffer.allocate(b.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(b).flip();
        return new HostTensor(want, t.shape(), copy);
    }

    private static String expected(Graph g) {
        return String.join(", ", g.inputs().stream().map(v -> v.name() + ".npy").toList());
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new FscException("--calibrate: cannot list " + dir + ": " + e.getMessage());
        }
    }

    /** The set's file names, sizes and modification times, for the compile cache's key. */
    static String fingerprint(Path dir) {
        if (!Files.isDirectory(dir)) {
            return dir.toAbsolutePath().toString();
        }
        StringBuilder sb = new StringBuilder(dir.toAbsolutePath().toString());
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                sb.append('|')
                        .append(dir.relativize(p))
                        .append(':')
                        .append(Files.size(p))
                        .append(':')
                        .append(Files.getLastModifiedTime(p).toMillis());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }
}
