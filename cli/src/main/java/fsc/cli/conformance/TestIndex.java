package fsc.cli.conformance;

import fsc.ir.FscException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What the data set says about its tests, when it says anything: {@code tests.tsv} (primary op and
 * tier per test) and the {@code milestone*.txt} lists, looked up in the node-test folder and its
 * parent (the layout of {@code ../shared/data/onnx/}). A folder without them gets an empty index:
 * every test is tier {@code ?} and its op comes from the model.
 */
public record TestIndex(Map<String, Row> rows, SortedMap<String, List<String>> milestones) {
    /** One line of {@code tests.tsv}. */
    public record Row(String primaryOp, String tier) {}

    public TestIndex {
        rows = Collections.unmodifiableMap(new TreeMap<>(rows));
        milestones = Collections.unmodifiableSortedMap(new TreeMap<>(milestones));
    }

    public static TestIndex empty() {
        return new TestIndex(Map.of(), new TreeMap<>());
    }

    /** The index found next to {@code testsRoot}, or an empty one. */
    public static TestIndex near(Path testsRoot) {
        for (Path dir : List.of(testsRoot, testsRoot.toAbsolutePath().getParent())) {
            if (dir != null && Files.isRegularFile(dir.resolve("tests.tsv"))) {
                return read(dir);
            }
        }
        return empty();
    }

    /** Reads {@code dir/tests.tsv} and every {@code dir/milestone*.txt}. */
    public static TestIndex read(Path dir) {
        Path tsv = dir.resolve("tests.tsv");
        try {
            List<String> lines = Files.readAllLines(tsv);
            List<String> header = List.of(lines.getFirst().split("\t"));
            int name = column(header, "test_name", tsv);
            int op = column(header, "primary_op", tsv);
            int tier = column(header, "tier", tsv);
            Map<String, Row> rows = new TreeMap<>();
            for (String line : lines.subList(1, lines.size())) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                rows.put(f[name], new Row(f[op], f[tier]));
            }
            SortedMap<String, List<String>> milestones = new TreeMap<>();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.sorted().toList()) {
                    String file = f.getFileName().toString();
                    if (file.startsWith("milestone") && file.endsWith(".txt")) {
                        List<String> names = new ArrayList<>();
                        for (String l : Files.readAllLines(f)) {
                            if (!l.isBlank()) {
                                names.add(l.strip());
                            }
                        }
                        milestones.put(file.substring(0, file.length() - 4), names);
                    }
                }
            }
            return new TestIndex(rows, milestones);
        } catch (IOException e) {
            throw new FscException(tsv + ": cannot read: " + e.getMessage());
        }
    }

    private static int column(List<String> header, String name, Path file) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new FscException(file + ": no column '" + name + "' in the header");
        }
        return i;
    }

    /** The names in milestone list {@code name} (e.g. {@code milestone1_bert}). */
    public List<String> milestone(String name) {
        List<String> names = milestones.get(name);
        if (names == null) {
            throw new FscException("no milestone list '" + name + "' (have: " + milestones.keySet() + ")");
        }
        return names;
    }
}
