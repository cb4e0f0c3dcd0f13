package fsc.runtime.kernels;

/**
 * {@link Lanes#sum}'s tree in scalar form, in a class with no vector fields: the scalar twins
 * ({@link VectorWarmth}) fold their lane accumulators here, and a class that initialised {@code
 * Lanes}' shuffles would make a fresh JVM's first call pay the Vector API's start-up after all.
 */
public final class LaneSums {
    private LaneSums() {}

    /**
     * {@link Lanes#sum}'s tree over the lanes {@code a[off, off + n)} (n a power of two), which it
     * overwrites. Lane 0 after the step of width h needs only lanes [0, 2h) before it, so the steps
     * run in place over a halving prefix.
     */
    public static float sumInPlace(float[] a, int off, int n) {
        for (int width = n / 2; width >= 1; width /= 2) {
            for (int i = off; i < off + width; i++) {
                a[i] += a[i + width];
            }
        }
        return a[off];
    }
}
