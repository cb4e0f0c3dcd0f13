package fsc.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in one fixed order, the same in every JIT tier.
 *
 * <p>{@code reduceLanes(ADD)} leaves the order unspecified, and HotSpot uses that freedom: the Java
 * fallback (interpreter, C1, and C2 before the intrinsic applies) adds lanes 0, 1, 2, … in turn,
 * while C2's intrinsic adds them as a tree. A dot product then rounds differently on its first call
 * than after warm-up, and a model's output differs between processes in the last bits (enough to
 * flip a greedy token at a near-tie). This sum is a halving tree written with lanewise ops only:
 * each step adds the vector to itself rotated by half the remaining width ({@code rearrange} moves
 * data without arithmetic; {@code add} is one IEEE float add per lane), so every tier performs the
 * same float additions and lane 0 ends with
 * {@code (…((v0 + v[n/2]) + (v[n/4] + v[3n/4])) + …)}. Shuffles are built once per species.
 *
 * <p><b>Kernels do not call {@link #sum}; they write its tree inline.</b> A {@code FloatVector}
 * passed to a method C2 does not inline is boxed (an allocation per call), and whether C2 inlines
 * this 151-byte method depends on the caller's size and on what else ran in the JVM
 * ({@code NodeCountInliningCutoff} once the caller has grown, "already compiled into a big method"):
 * one test JVM in three or four allocated per call in steady state that way. So a runtime kernel
 * takes its package's copy of {@link #rotations()} and folds its accumulator in its own body:
 *
 * <pre>{@code
 * for (int h = L / 2; h > 0; h /= 2) {
 *     acc = acc.add(acc.rearrange(ROTATE[h]));
 * }
 * float sum = acc.lane(0);
 * }</pre>
 *
 * the same float additions in the same order as {@code sum}, so the same bits
 * ({@code NoVectorCrossesACallTest} holds runtime-min to it). {@code sum} and {@link #product} are
 * still called by generated code, where the same hazard stands (docs/DECISIONS.md).
 */
public final class Lanes {
    private static final VectorSpecies<Float> S512 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Float> S256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> S128 = FloatVector.SPECIES_128;
    private static final VectorShuffle<Float> R512_8 = rotate(S512, 8);
    private static final VectorShuffle<Float> R512_4 = rotate(S512, 4);
    private static final VectorShuffle<Float> R512_2 = rotate(S512, 2);
    private static final VectorShuffle<Float> R512_1 = rotate(S512, 1);
    private static final VectorShuffle<Float> R256_4 = rotate(S256, 4);
    private static final VectorShuffle<Float> R256_2 = rotate(S256, 2);
    private static final VectorShuffle<Float> R256_1 = rotate(S256, 1);
    private static final VectorShuffle<Float> R128_2 = rotate(S128, 2);
    private static final VectorShuffle<Float> R128_1 = rotate(S128, 1);

    /**
     * The kernels' species ({@code SPECIES_PREFERRED}): {@code ROTATE[h]} for h = L/2, L/4, …, 1
     * moves lane (i + h) mod L to lane i, one step of {@link #sum}'s tree each.
     */
    static final VectorShuffle<Float>[] ROTATE = rotations();

    private Lanes() {}

    /**
     * A new table of the rotations of {@link #sum}'s tree for {@code FloatVector.SPECIES_PREFERRED}:
     * element {@code h} (h = L/2, L/4, …, 1, L the lane count) moves lane (i + h) mod L to lane i;
     * the other elements are null. A package keeps one copy in a {@code static final} field for
     * the inline lane sum above (a copy each, so no caller can change another's).
     */
    public static VectorShuffle<Float>[] rotations() {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        @SuppressWarnings("unchecked")
        VectorShuffle<Float>[] r = new VectorShuffle[s.length() + 1];
        for (int h = 1; h < s.length(); h *= 2) {
            r[h] = rotate(s, h);
        }
        return r;
    }

    /** Lane i of the result takes lane (i + k) mod length of the source. */
    private static VectorShuffle<Float> rotate(VectorSpecies<Float> s, int k) {
        return VectorShuffle.iota(s, k, 1, true);
    }

    /**
     * Σ lanes of {@code v} by the fixed halving tree; the species test folds to a constant once
     * C2 inlines the call, leaving log2(length) rotate-and-add steps and one lane extract.
     */
    public static float sum(FloatVector v) {
        VectorSpecies<Float> s = v.species();
        if (s == S512) {
            v = v.add(v.rearrange(R512_8));
            v = v.add(v.rearrange(R512_4));
            v = v.add(v.rearrange(R512_2));
            return v.add(v.rearrange(R512_1)).lane(0);
        }
        if (s == S256) {
            v = v.add(v.rearrange(R256_4));
            v = v.add(v.rearrange(R256_2));
            return v.add(v.rearrange(R256_1)).lane(0);
        }
        if (s == S128) {
            v = v.add(v.rearrange(R128_2));
            return v.add(v.rearrange(R128_1)).lane(0);
        }
        return sumSlow(v);
    }

    /** Π lanes of {@code v} by the same fixed halving tree as {@link #sum} (ReduceProd's row kernel). */
    public static float product(FloatVector v) {
        VectorSpecies<Float> s = v.species();
        if (s == S512) {
            v = v.mul(v.rearrange(R512_8));
            v = v.mul(v.rearrange(R512_4));
            v = v.mul(v.rearrange(R512_2));
            return v.mul(v.rearrange(R512_1)).lane(0);
        }
        if (s == S256) {
            v = v.mul(v.rearrange(R256_4));
            v = v.mul(v.rearrange(R256_2));
            return v.mul(v.rearrange(R256_1)).lane(0);
        }
        if (s == S128) {
            v = v.mul(v.rearrange(R128_2));
            return v.mul(v.rearrange(R128_1)).lane(0);
        }
        float[] a = v.toArray();
        for (int width = a.length / 2; width >= 1; width /= 2) {
            for (int i = 0; i < width; i++) {
                a[i] *= a[i + width];
            }
        }
        return a[0];
    }

    /** Any other species (64-bit, or a max-shape species of another width): the same tree, by lane. */
    static float sumSlow(FloatVector v) {
        float[] a = v.toArray();
        return LaneSums.sumInPlace(a, 0, a.length);
    }

    /** Scalar reference: the same tree over {@code a[off, off + n)}, n a power of two. */
    static float treeSum(float[] a, int off, int n) {
        return LaneSums.sumInPlace(java.util.Arrays.copyOfRange(a, off, off + n), 0, n);
    }
}
