package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The scalar twin of the layer-norm row gives the vector row's bits: lengths below, at and off a
 * multiple of the lane count, with and without a bias, rows with a large mean, a constant row.
 */
class LayerNormColdTest {
    private static final int VL = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void scalarTwinIsBitIdenticalToTheVectorRow() {
        Random rnd = new Random(16);
        for (int n : new int[] {1, 3, VL, VL + 1, 37, 384, 385, 1000}) {
            for (int kind = 0; kind < 3; kind++) {
                float[] x = new float[n];
                float[] g = new float[n];
                float[] b = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = kind == 2
                            ? 3.5f
                            : (float) rnd.nextGaussian() * (kind == 1 ? 0.01f : 2f) + (kind == 1 ? 1e4f : 0);
                    g[i] = (float) rnd.nextGaussian();
                    b[i] = (float) rnd.nextGaussian();
                }
                for (boolean bias : new boolean[] {false, true}) {
                    float[] vec = x.clone();
                    float[] cold = x.clone();
                    FloatMath.layerNorm(vec, n, g, bias ? b : null, 1e-5f);
                    LayerNormCold.layerNorm(cold, n, g, bias ? b : null, 1e-5f, VL, new float[VL]);
                    assertArrayEquals(vec, cold, "n=" + n + " kind=" + kind + " bias=" + bias);
                }
            }
        }
    }
}
