package fsc.runtime.kernels;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * What determinism costs: {@link Lanes#sum} against {@code reduceLanes(ADD)} at the end of a dot
 * product (ns per dot), and {@link VectorExp} against the Vector API's EXP/TANH intrinsics (ns per
 * element), in calling-thread CPU time, median of 7 rounds (a micro benchmark main, not a test).
 *
 * <p>Run with the test classpath: {@code java --add-modules jdk.incubator.vector -cp
 * runtime-min/target/classes:runtime-min/target/test-classes fsc.runtime.kernels.DeterministicLanesBench}.
 */
public final class DeterministicLanesBench {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private static final float[] A = new float[4096];
    private static final float[] B = new float[4096];
    private static final float[] O = new float[4096];
    private static float sink;

    private DeterministicLanesBench() {}

    private static float dotReduceLanes(int n) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            acc = FloatVector.fromArray(S, A, i).fma(FloatVector.fromArray(S, B, i), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static float dotLanesSum(int n) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < n; i += S.length()) {
            acc = FloatVector.fromArray(S, A, i).fma(FloatVector.fromArray(S, B, i), acc);
        }
        return Lanes.sum(acc);
    }

    private static void expIntrinsic() {
        for (int i = 0; i < A.length; i += S.length()) {
            FloatVector.fromArray(S, A, i).lanewise(VectorOperators.EXP).intoArray(O, i);
        }
    }

    private static void expExact() {
        for (int i = 0; i < A.length; i += S.length()) {
            VectorExp.exp(FloatVector.fromArray(S, A, i)).intoArray(O, i);
        }
    }

    private static void tanhIntrinsic() {
        for (int i = 0; i < A.length; i += S.length()) {
            FloatVector.fromArray(S, A, i).lanewise(VectorOperators.TANH).intoArray(O, i);
        }
    }

    private static void tanhExact() {
        for (int i = 0; i < A.length; i += S.length()) {
            VectorExp.tanh(FloatVector.fromArray(S, A, i)).intoArray(O, i);
        }
    }

    /** CPU ns per call of {@code body}, {@code reps} calls. */
    private static double time(Runnable body, int reps) {
        long t0 = MX.getCurrentThreadCpuTime();
        for (int i = 0; i < reps; i++) {
            body.run();
        }
        return (MX.getCurrentThreadCpuTime() - t0) / (double) reps;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    public static void main(String[] args) {
        Random r = new Random(1);
        for (int i = 0; i < A.length; i++) {
            A[i] = (float) r.nextGaussian() * 3;
            B[i] = (float) r.nextGaussian();
        }
        int rounds = 7;
        for (int n : new int[] {64, 256, 1024}) {
            int reps = 20_000_000 / n;
            double[] rl = new double[rounds];
            double[] ls = new double[rounds];
            for (int k = 0; k < rounds; k++) {
                rl[k] = time(() -> sink += dotReduceLanes(n), reps);
                ls[k] = time(() -> sink += dotLanesSum(n), reps);
            }
            System.out.printf(
                    "dot n=%-5d reduceLanes %7.2f ns  Lanes.sum %7.2f ns  (ratio %.2f)%n",
                    n, median(rl), median(ls), median(ls) / median(rl));
        }
        double[][] t = new double[4][rounds];
        Runnable[] bodies = {
            DeterministicLanesBench::expIntrinsic,
            DeterministicLanesBench::expExact,
            DeterministicLanesBench::tanhIntrinsic,
            DeterministicLanesBench::tanhExact
        };
        for (int k = 0; k < rounds; k++) {
            for (int b = 0; b < bodies.length; b++) {
                t[b][k] = time(bodies[b], 5000) / A.length;
            }
        }
        System.out.printf(
                "exp  lanewise(EXP) %.3f ns/elem  VectorExp.exp %.3f ns/elem  (ratio %.2f)%n",
                median(t[0]), median(t[1]), median(t[1]) / median(t[0]));
        System.out.printf(
                "tanh lanewise(TANH) %.3f ns/elem  VectorExp.tanh %.3f ns/elem  (ratio %.2f)%n",
                median(t[2]), median(t[3]), median(t[3]) / median(t[2]));
        System.out.println(sink == 42 ? "" : "done");
    }
}
