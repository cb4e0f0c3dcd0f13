package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** Lanes.sum is the documented halving tree, bit for bit, on every species. */
class LanesTest {
    private static final VectorSpecies<Float>[] SPECIES = allSpecies();

    @SuppressWarnings("unchecked")
    private static VectorSpecies<Float>[] allSpecies() {
        return new VectorSpecies[] {
            FloatVector.SPECIES_64,
            FloatVector.SPECIES_128,
            FloatVector.SPECIES_256,
            FloatVector.SPECIES_512,
            FloatVector.SPECIES_PREFERRED
        };
    }

    /** Values spread over 12 decades with mixed signs, so a different order rounds differently. */
    static float[] wide(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(12) - 6));
        }
        return a;
    }

    @Test
    void sumIsTheHalvingTreeOnEverySpecies() {
        Random r = new Random(7);
        for (VectorSpecies<Float> s : SPECIES) {
            float[] a = wide(r, s.length() * 4000);
            for (int off = 0; off < a.length; off += s.length()) {
                float got = Lanes.sum(FloatVector.fromArray(s, a, off));
                float want = Lanes.treeSum(a, off, s.length());
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), s + " at " + off);
            }
        }
    }

    @Test
    void productIsTheSameTree() {
        Random r = new Random(9);
        for (VectorSpecies<Float> s : SPECIES) {
            float[] a = new float[s.length() * 2000];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (0.5 + r.nextDouble());
            }
            for (int off = 0; off < a.length; off += s.length()) {
                float[] t = java.util.Arrays.copyOfRange(a, off, off + s.length());
                for (int width = t.length / 2; width >= 1; width /= 2) {
                    for (int i = 0; i < width; i++) {
                        t[i] *= t[i + width];
                    }
                }
                float want = t[0];
                float got = Lanes.product(FloatVector.fromArray(s, a, off));
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), s + " at " + off);
            }
        }
    }

    /** The inline form kernels write with {@link Lanes#rotations()} adds as {@link Lanes#sum} does. */
    @Test
    void inlineTreeWithTheRotationsIsSum() {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        var rotate = Lanes.rotations();
        float[] a = wide(new Random(11), s.length() * 4000);
        for (int off = 0; off < a.length; off += s.length()) {
            FloatVector v = FloatVector.fromArray(s, a, off);
            for (int h = s.length() / 2; h > 0; h /= 2) {
                v = v.add(v.rearrange(rotate[h]));
            }
            float want = Lanes.treeSum(a, off, s.length());
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(v.lane(0)), "at " + off);
        }
    }

    /** The reference tree itself, written out for 8 lanes. */
    @Test
    void treeOrderIsAsDocumented() {
        float[] a = wide(new Random(3), 8);
        float want = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
        assertEquals(want, Lanes.treeSum(a, 0, 8));
        assertEquals(want, Lanes.sum(FloatVector.fromArray(FloatVector.SPECIES_256, a, 0)));
    }

    /**
     * The test that reduceLanes fails: the sequential order (the Vector API's Java fallback) and
     * the tree differ for these inputs, so a tier-dependent choice between them is visible.
     */
    @Test
    void orderMattersForTheseInputs() {
        float[] a = wide(new Random(11), 16 * 1000);
        int differ = 0;
        for (int off = 0; off < a.length; off += 16) {
            float seq = 0;
            for (int i = 0; i < 16; i++) {
                seq += a[off + i];
            }
            if (seq != Lanes.treeSum(a, off, 16)) {
                differ++;
            }
        }
        assertEquals(true, differ > 100, "only " + differ + " of 1000 sums depend on the order");
    }

    @Test
    void specialValuesPropagate() {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        float[] a = new float[s.length()];
        a[s.length() - 1] = Float.NaN;
        assertEquals(Float.NaN, Lanes.sum(FloatVector.fromArray(s, a, 0)));
        a[s.length() - 1] = Float.POSITIVE_INFINITY;
        assertEquals(Float.POSITIVE_INFINITY, Lanes.sum(FloatVector.fromArray(s, a, 0)));
        a[0] = Float.NEGATIVE_INFINITY;
        assertEquals(Float.NaN, Lanes.sum(FloatVector.fromArray(s, a, 0)));
    }
}
