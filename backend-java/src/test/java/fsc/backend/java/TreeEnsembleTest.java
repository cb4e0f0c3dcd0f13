package fsc.backend.java;

import static fsc.backend.java.TestGraphs.attrs;
import static fsc.backend.java.TestGraphs.type;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime kernel behind {@code tree_ensemble} against the interpreter's reference: seeded random
 * forests (every comparison mode, set membership, NaN features sent either way, leaves on several
 * targets, a leaf-only tree) under every aggregate, f32 and f64, on odd row and feature counts. The
 * inputs are drawn from the splits' own values and NaN, so the equality, membership and missing-value
 * branches are all taken.
 */
class TreeEnsembleTest {
    @TempDir
    Path dir;

    private static final double[] VALUES = {-1.5, -0.25, 0, 0.5, 2, Double.NaN};

    @Test
    void randomForestsMatchTheInterpreter() throws Exception {
        for (DType t : List.of(DType.F32, DType.F64)) {
            for (int seed = 1; seed <= 3; seed++) {
                check(t, seed, 7 + seed, 5);
            }
        }
    }

    private void check(DType t, int seed, int rows, int features) throws Exception {
        Random r = new Random(seed * 31L + t.ordinal());
        int targets = 3;
        Forest f = Forest.random(r, features, targets, 4);
        GraphBuilder b = new GraphBuilder("trees");
        Value x = b.input("x", type(t, rows, features));
        List<Value> tables = List.of(
                b.constant(
                        "nodes",
                        HostTensor.ofLongs(new long[] {f.nodes.size() / 7, 7}, longs(f.nodes))
                                .toWeight()),
                b.constant("splits", f64(f.splits)),
                b.constant("members", f64(f.members)),
                b.constant(
                        "leaf_targets",
                        HostTensor.ofLongs(new long[] {f.targets.size()}, longs(f.targets))
                                .toWeight()),
                b.constant("leaf_weights", f64(f.weights)),
                b.constant(
                        "roots",
                        HostTensor.ofLongs(new long[] {f.roots.size()}, longs(f.roots))
                                .toWeight()));
        for (String agg : List.of("sum", "average", "min", "max")) {
            List<Value> in = new ArrayList<>(List.of(x));
            in.addAll(tables);
            b.output(b.node(
                    "tree_ensemble",
                    agg,
                    in,
                    attrs("aggregate_function", new Attr.Str(agg), "n_targets", new Attr.Int(targets))));
        }
        Graph g = b.build();
        HostTensor xs = HostTensor.zeros(t, new long[] {rows, features});
        for (int i = 0; i < rows * features; i++) {
            xs.setDouble(i, VALUES[r.nextInt(VALUES.length)]);
        }
        try (ModelHarness h =
                ModelHarness.compile(g, java.nio.file.Files.createDirectories(dir.resolve(t.irName() + seed)), 1)) {
            h.assertMatchesInterpreter(Map.of("x", xs), 1e-5);
        }
    }

    private static fsc.ir.WeightData f64(List<Double> v) {
        HostTensor h = HostTensor.zeros(DType.F64, new long[] {v.size()});
        for (int i = 0; i < v.size(); i++) {
            h.setDouble(i, v.get(i));
        }
        return h.toWeight();
    }

    private static long[] longs(List<Long> v) {
        return v.stream().mapToLong(Long::longValue).toArray();
    }

    /** Tables in tree_ensemble's layout: trees built depth-first, children encoded as in TreeOps. */
    private record Forest(
            List<Long> nodes,
            List<Double> splits,
            List<Double> members,
            List<Long> targets,
            List<Double> weights,
            List<Long> roots) {
        static Forest random(Random r, int features, int targets, int trees) {
            Forest f = new Forest(
                    new ArrayList<>(),
                    new ArrayList<>(),
                    new ArrayList<>(),
                    new ArrayList<>(),
                    new ArrayList<>(),
                    new ArrayList<>());
            for (int t = 0; t < trees; t++) {
                f.roots.add(t == trees - 1 ? f.leaf(r, targets) : f.tree(r, features, targets, 1 + r.nextInt(4)));
            }
            return f;
        }

        long leaf(Random r, int targets) {
            targets().add((long) r.nextInt(targets));
            weights.add(Math.round(r.nextGaussian() * 100) / 16.0);
            return -targets().size();
        }

        long tree(Random r, int features, int targets, int depth) {
            if (depth == 0) {
                return leaf(r, targets);
            }
            int id = splits.size();
            int mode = r.nextInt(7);
            long first = 0;
            long count = 0;
            if (mode == 6) {
                first = members.size();
                for (int k = 0; k < 1 + r.nextInt(3); k++) {
                    members.add(VALUES[r.nextInt(VALUES.length - 1)]);
                }
                count = members.size() - first;
            }
            splits.add(VALUES[r.nextInt(VALUES.length - 1)]);
            List<Long> row = new ArrayList<>(
                    List.of((long) r.nextInt(features), (long) mode, 0L, 0L, (long) r.nextInt(2), first, count));
            nodes.addAll(row);
            long yes = tree(r, features, targets, depth - 1 - r.nextInt(depth));
            long no = tree(r, features, targets, depth - 1);
            nodes.set(id * 7 + 2, yes);
            nodes.set(id * 7 + 3, no);
            return id;
        }
    }
}
