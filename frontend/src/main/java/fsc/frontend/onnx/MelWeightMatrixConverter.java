package fsc.frontend.onnx;

import fsc.ir.DType;
import fsc.ir.interp.HostTensor;
import java.util.List;

/**
 * MelWeightMatrix (opset 17): the {@code [dft_length/2 + 1, num_mel_bins]} matrix of triangular
 * filters that maps a linear-frequency spectrogram to mel bins. Every operand is a scalar that sizes
 * the output, so they must be known at compile time (constants, or inputs bound through the usual
 * {@code --bind} hint) and the matrix becomes a constant. The arithmetic is the operator's
 * reference (onnx/reference/ops/op_mel_weight_matrix.py, as ONNX Runtime's kernel): the mel edges in
 * f32 as the inputs are typed, the bin edges floored from {@code (dft_length + 1)·f / sample_rate},
 * and a bin whose left edge equals its centre is a single 1.
 */
final class MelWeightMatrixConverter {
    private MelWeightMatrixConverter() {}

    static void register(List<OnnxOps.Rule> rules) {
        rules.add(new OnnxOps.Rule("MelWeightMatrix", 17, MelWeightMatrixConverter::convert));
    }

    private static void convert(NodeContext c) {
        long melBins = KnownOperands.scalar(c, 0, "num_mel_bins");
        long dftLength = KnownOperands.scalar(c, 1, "dft_length");
        long sampleRate = KnownOperands.scalar(c, 2, "sample_rate");
        float lower = (float) scalar(KnownOperands.tensor(c, 3, "lower_edge_hertz"), c, "lower_edge_hertz");
        float upper = (float) scalar(KnownOperands.tensor(c, 4, "upper_edge_hertz"), c, "upper_edge_hertz");
        if (melBins < 1 || dftLength < 1 || sampleRate < 1) {
            throw c.fail("num_mel_bins, dft_length and sample_rate must be positive, got " + melBins + ", " + dftLength
                    + ", " + sampleRate);
        }
        if (!(lower >= 0 && lower <= upper)) {
            throw c.fail("needs 0 <= lower_edge_hertz <= upper_edge_hertz, got " + lower + " and " + upper);
        }
        long specBins = dftLength / 2 + 1;
        if (specBins * melBins > (1 << 26)) {
            throw c.fail("a " + specBins + "x" + melBins + " matrix is too large to hold as a constant");
        }
        DType out = c.attrs
                .intValue("output_datatype")
                .map(t -> OnnxDTypes.toIr((int) (long) t)
                        .orElseThrow(() -> c.fail("output_datatype " + t + " is no ONNX element type")))
                .orElse(DType.F32);
        if (!out.isFloat()) {
            throw c.fail("output_datatype must be a float type, got " + out);
        }
        long[] edges = binEdges(melBins, dftLength, sampleRate, lower, upper);
        HostTensor m = HostTensor.zeros(out, new long[] {specBins, melBins});
        for (int i = 0; i < melBins; i++) {
            long left = edges[i];
            long centre = edges[i + 1];
            long right = edges[i + 2];
            if (left < 0 || centre >= specBins || right > specBins) {
                throw c.fail("mel bin " + i + " spans spectrogram bins " + left + ".." + right + ", outside 0.."
                        + (specBins - 1) + " (upper_edge_hertz beyond the Nyquist rate?)");
            }
            if (centre == left) {
                m.setDouble(centre * melBins + i, 1.0);
            } else {
                for (long j = left; j <= centre; j++) {
                    m.setDouble(j * melBins + i, (double) (j - left) / (centre - left));
                }
            }
            for (long j = centre; j < right; j++) {
                m.setDouble(j * melBins + i, (double) (right - j) / (right - centre));
            }
        }
        c.define(0, c.constantNamed(c.outputName(0), m.toWeight()));
    }

    /** The {@code num_mel_bins + 2} filter edges as spectrogram bin indices. */
    private static long[] binEdges(long melBins, long dftLength, long sampleRate, float lower, float upper) {
        float lowMel = 2595f * (float) Math.log10(1f + lower / 700f);
        float highMel = 2595f * (float) Math.log10(1f + upper / 700f);
        float step = (highMel - lowMel) / (melBins + 2);
        long[] edges = new long[(int) melBins + 2];
        for (int k = 0; k < edges.length; k++) {
            double mel = k * (double) step + lowMel;
            double hz = 700 * (Math.pow(10, mel / 2595) - 1);
            edges[k] = (long) Math.floor((dftLength + 1) * hz / sampleRate);
        }
        return edges;
    }

    private static double scalar(HostTensor t, NodeContext c, String role) {
        if (t.size() != 1) {
            throw c.fail(role + " must be a scalar, got shape " + java.util.Arrays.toString(t.shape()));
        }
        return t.getDouble(0);
    }
}
