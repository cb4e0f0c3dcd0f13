package fsc.compiler;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.passes.PassContext;
import fsc.passes.Precision;
import fsc.passes.QuantizePass;
import fsc.passes.Smoothing;
import fsc.passes.WeightQuantizer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Measures what quantization costs in accuracy, with the reference interpreter on sample inputs:
 *
 * <ul>
 *   <li><b>per layer</b>, the error its quantization alone introduces: the layer's f32 input (from
 *       one f32 run) through the quantized layer against the f32 layer, as the kernels compute it
 *       (int8: the activation rounded to i8 per row, as the pass's quantizer nodes do, weights
 *       from {@link QuantizePass}'s own encoding; int4: the Q4_0 weights decoded);
 *   <li><b>end to end</b>, the quantized graph against the f32 one: per-row cosine of every f32
 *       output (a row is one token's hidden vector), lowest and mean.
 * </ul>
 *
 * <p>The inputs are the calibration set's ({@code --calibrate}, {@link CalibrationSet}) or, without
 * one, one random sample: integer inputs that index a constant table ({@code gather}, e.g. token
 * ids) are drawn uniformly from its rows, other integer inputs are 1 (masks), floats uniform in
 * [-1, 1]; each symbol is min(bound, {@value #SYMBOL_VALUE}). Random inputs are not real data: the
 * numbers rank layers and assignments; the ONNX Runtime tests measure real text and images.
 *
 * <p>With a calibration set, int8 layers quantize their activations with static scales read from
 * the set by the {@link CalibrationMethod} ({@link #staticScales}), and the errors measured here
 * are those of the static scheme.
 */
final class QuantMeasure {
    static final long SYMBOL_VALUE = 16;

    private final Graph f32;
    private final List<Map<String, HostTensor>> samples;
    private final List<Map<Value, HostTensor>> references;
    private final CalibrationMethod method;

    /** Per activation read by a linear layer (by value name), the maximum |x| of each channel (last axis). */
    private final Map<String, float[]> activationMax = new TreeMap<>();

    /** Per activation, the layers reading it (they share its quantization and smoothing). */
    private final Map<Value, List<Node>> readers = new IdentityHashMap<>();

    /** One f32 run of {@code f32} (the graph quantize would receive) on sample inputs seeded by {@code seed}. */
    QuantMeasure(Graph f32, long seed) {
        this(f32, List.of(sampleInputs(f32, seed)), null);
    }

    /**
     * f32 runs of {@code f32} on {@code samples}; {@code method} non-null when they are a calibration
     * set whose static scales the int8 layers are to use.
     */
    QuantMeasure(Graph f32, List<Map<String, HostTensor>> samples, CalibrationMethod method) {
        this.f32 = f32;
        this.samples = List.copyOf(samples);
        this.method = method;
        Interpreter interpreter = new Interpreter(f32);
        this.references = new ArrayList<>();
        for (Map<String, HostTensor> in : samples) {
            references.add(interpreter.runAll(in));
        }
        for (Node n : QuantizePass.linearLayers(f32)) {
            Value x = n.input(0);
            readers.computeIfAbsent(x, v -> new ArrayList<>()).add(n);
            if (QuantizePass.isConv(n) || activationMax.containsKey(x.name())) {
                continue;
            }
            int k = Math.toIntExact(n.input(1).type().dim(0).value());
            float[] max = new float[k];
            for (Map<Value, HostTensor> ref : references) {
                float[] v = ref.get(x).toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    max[i % k] = Math.max(max[i % k], Math.abs(v[i]));
                }
            }
            activationMax.put(x.name(), max);
        }
    }

    /** How many samples the measurement ran on. */
    int sampleCount() {
        return samples.size();
    }

    /** Whether int8 layers use static scales from a calibration set. */
    boolean calibrated() {
        return method != null;
    }

    /**
     * The static scale of each activation that an int8 layer reads under {@code assignment} (empty
     * without a calibration set): the method's threshold on the values that reach its quantizer
     * (after the smoothing the pass will apply, which depends on which readers are int8), over 127.
     */
    Map<String, Float> staticScales(Map<String, Precision> assignment) {
        Map<String, Float> out = new TreeMap<>();
        if (method == null) {
            return out;
        }
        for (var e : readers.entrySet()) {
            Value x = e.getKey();
            List<Node> int8 = e.getValue().stream()
                    .filter(r -> assignment.getOrDefault(QuantizePass.layerName(r), Precision.FP32) == Precision.INT8)
                    .toList();
            if (int8.isEmpty()) {
                continue;
            }
            float[] sm = QuantizePass.isConv(int8.get(0)) ? null : smoothing(x, int8, Precision.INT8);
            out.put(x.name(), staticScale(x, sm));
        }
        return out;
    }

    /** The static scale of activation x (divided by smoothing scales {@code sm} when non-null). */
    private float staticScale(Value x, float[] sm) {
        List<float[]> values = new ArrayList<>();
        for (Map<Value, HostTensor> ref : references) {
            float[] v = ref.get(x).toFloatArray();
            if (sm != null) {
                for (int i = 0; i < v.length; i++) {
                    v[i] *= 1f / sm[i % sm.length];
                }
            }
            values.add(v);
        }
        return method.threshold(values) / 127f;
    }

    /** The quantize pass for {@code assignment}, with this measurement's smoothing and static scales. */
    QuantizePass pass(Map<String, Precision> assignment) {
        return new QuantizePass(Precision.FP32, assignment, activationMax, staticScales(assignment));
    }

    Map<String, float[]> activationMax() {
        return activationMax;
    }

    /** The smoothing scales of n's activation with every layer reading it at int8 (see {@link Smoothing}). */
    private float[] smoothing(Node n, Precision p) {
        return smoothing(n.input(0), readers.get(n.input(0)), p);
    }

    /** The smoothing scales of activation x for the matmuls {@code readersAtP} that read it at p. */
    private float[] smoothing(Value x, List<Node> readersAtP, Precision p) {
        List<float[]> ws = new ArrayList<>();
        List<Integer> cols = new ArrayList<>();
        for (Node r : readersAtP) {
            ws.add(WeightQuantizer.floats(
                    f32.weights().get(f32.constantOf(r.input(1)).weight())));
            cols.add(Math.toIntExact(r.input(1).type().dim(1).value()));
        }
        float[] max = activationMax.get(x.name());
        return p == Precision.INT8 ? Smoothing.scales(max, ws, cols) : Smoothing.int4Scales(max, ws, cols);
    }

    /** The error of one layer quantized to {@code p}, its input and the rest of the model in f32. */
    record LayerError(double cosine, double relL2) {}

    LayerError layer(Node n, Precision p) {
        if (QuantizePass.isConv(n)) {
            return convLayer(n);
        }
        WeightData wd = f32.weights().get(f32.constantOf(n.input(1)).weight());
        int k = Math.toIntExact(wd.dims().get(0));
        int cols = Math.toIntExact(wd.dims().get(1));
        float[] w = WeightQuantizer.floats(wd);
        float[] sm = smoothing(n, p);
        double[] wq = WeightQuantizer.decoded(
                Smoothing.scaleRows(w, sm, cols),
                k,
                cols,
                p,
                p == Precision.INT4
                        ? WeightQuantizer.importance(
                                activationMax.get(n.input(0).name()), sm)
                        : null);
        Float st = p == Precision.INT8 && method != null ? staticScale(n.input(0), sm) : null;
        double[] sums = new double[4]; // dot, |q|², |ref|², |q - ref|²
        for (Map<Value, HostTensor> ref : references) {
            float[] x = ref.get(n.input(0)).toFloatArray();
            float[] xs = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                xs[i] = x[i] * (1f / sm[i % k]);
            }
            // int8: x / s rounded (per row, or with the static scale); int4: x / s exact, the
            // scales cancel but for the weights' rounding.
            double[] xq =
                    p == Precision.INT4 ? toDouble(xs) : st != null ? staticQuantized(xs, st) : rowQuantized(xs, k);
            accumulate(xq, wq, ref.get(n.output()), k, cols, sums);
        }
        return error(sums);
    }

    /**
     * A conv's error at int8: the f32 model with only this layer quantized, in the interpreter, its
     * output against the f32 one (the conv's arithmetic is the interpreter's, so nothing is
     * re-implemented here).
     */
    private LayerError convLayer(Node n) {
        Map<String, Precision> only = Map.of(QuantizePass.layerName(n), Precision.INT8);
        Graph q = interpretable(pass(only).run(f32, PassContext.defaults()));
        Interpreter interpreter = new Interpreter(q);
        double[] sums = new double[4];
        for (int i = 0; i < samples.size(); i++) {
            HostTensor got = null;
            for (var e : interpreter.runAll(samples.get(i)).entrySet()) {
                if (e.getKey().name().equals(n.output().name())) {
                    got = e.getValue();
                }
            }
            HostTensor want = references.get(i).get(n.output());
            for (int j = 0; j < want.size(); j++) {
                double a = got.getDouble(j);
                double b = want.getDouble(j);
                sums[0] += a * b;
                sums[1] += a * a;
                sums[2] += b * b;
                sums[3] += (a - b) * (a - b);
            }
        }
        return error(sums);
    }

    private static LayerError error(double[] s) {
        return new LayerError(
                s[1] == 0 || s[2] == 0 ? 1 : s[0] / Math.sqrt(s[1] * s[2]), s[2] == 0 ? 0 : Math.sqrt(s[3] / s[2]));
    }

    /** Adds one sample's {@code xq · wq} against the reference output into {@code sums}. */
    private static void accumulate(double[] xq, double[] wq, HostTensor yt, int k, int cols, double[] sums) {
        int rows = xq.length / k;
        double dot = 0;
        double nq = 0;
        double nr = 0;
        double diff = 0;
        double[] acc = new double[cols];
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(acc, 0);
            for (int i = 0; i < k; i++) {
                double a = xq[r * k + i];
                if (a == 0) {
                    continue;
                }
                int base = i * cols;
                for (int j = 0; j < cols; j++) {
                    acc[j] += a * wq[base + j];
                }
            }
            for (int j = 0; j < cols; j++) {
                double ref = yt.getDouble((long) r * cols + j);
                dot += acc[j] * ref;
                nq += acc[j] * acc[j];
                nr += ref * ref;
                diff += (acc[j] - ref) * (acc[j] - ref);
            }
        }
        sums[0] += dot;
        sums[1] += nq;
        sums[2] += nr;
        sums[3] += diff;
    }

    /** The end-to-end error of a quantized graph: over every f32 output's rows, the lowest and mean cosine. */
    record EndToEnd(double minCosine, double meanCosine, double relL2) {}

    EndToEnd endToEnd(Map<String, Precision> assignment) {
        Graph q = pass(assignment).run(f32, PassContext.defaults());
        Interpreter interpreter = new Interpreter(interpretable(q));
        RowCosines rows = new RowCosines();
        for (int i = 0; i < samples.size(); i++) {
            Map<String, HostTensor> out = interpreter.run(samples.get(i));
            Map<Value, HostTensor> reference = references.get(i);
            for (Value v : f32.outputs()) {
                if (v.dtype() == DType.F32 && v.type().rank() >= 1) {
                    rows.add(out.get(v.name()), reference.get(v));
                }
            }
        }
        return rows.result();
    }

    /** The inputs the measurement ran on (the calibration set's, or the one random sample). */
    List<Map<String, HostTensor>> samples() {
        return samples;
    }

    /**
     * {@code q} with each Q4_0 constant replaced by its decoded f32 values: the interpreter reads
     * plain weights only, and {@code qmatmul}'s kernels multiply exactly those values.
     */
    static Graph interpretable(Graph q) {
        TreeMap<String, WeightData> weights = new TreeMap<>(q.weights().byName());
        List<Constant> constants = new ArrayList<>();
        Map<Value, Value> renamed = new IdentityHashMap<>();
        for (Constant c : q.constants()) {
            if (c.value().dtype() != DType.Q4_0 && c.value().dtype() != DType.Q4_1) {
                constants.add(c);
                continue;
            }
            WeightData w = weights.get(c.weight());
            weights.put(c.weight(), WeightQuantizer.int4AsF32(w));
            Value f = new Value(
                    c.value().name(),
                    TensorType.of(DType.F32, w.dims().get(0), w.dims().get(1)));
            renamed.put(c.value(), f);
            constants.add(new Constant(f, c.weight()));
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : q.nodes()) {
            List<Value> in =
                    n.inputs().stream().map(v -> renamed.getOrDefault(v, v)).toList();
            nodes.add(n.withInputs(in));
        }
        return q.withBody(constants, nodes, q.outputs(), new Weights(weights));
    }

    /** x rounded to i8 per row of {@code k} (symmetric) and back, as the quantize pass's nodes compute it. */
    static double[] rowQuantized(float[] x, int k) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / k; r++) {
            float max = 0;
            for (int i = 0; i < k; i++) {
                max = Math.max(max, Math.abs(x[r * k + i]));
            }
            float s = Math.max(max, Float.MIN_NORMAL) / 127f;
            for (int i = 0; i < k; i++) {
                out[r * k + i] = Math.rint(x[r * k + i] / s) * (double) s;
            }
        }
        return out;
    }

    /** x quantized with one static scale s (clipped to ±127) and back, as the pass's static quantizer. */
    static double[] staticQuantized(float[] x, float s) {
        float safe = s > 0 && Float.isFinite(s) ? s : Float.MIN_NORMAL;
        float inv = 1f / safe;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.max(-127, Math.min(127, Math.rint(x[i] * inv))) * (double) safe;
        }
        return out;
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** Sample inputs for {@code g} (see the class comment). */
    static Map<String, HostTensor> sampleInputs(Graph g, long seed) {
        Map<String, Long> binding = new TreeMap<>();
        g.symbols().forEach((name, bound) -> binding.put(name, Math.min(bound, SYMBOL_VALUE)));
        Map<Value, Long> tableRows = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            if (n.op().equals("gather") && n.inputs().size() == 2 && g.constantOf(n.input(0)) != null) {
                long rows = n.input(0).type().dim(0).value();
                tableRows.merge(n.input(1), rows, Math::min);
            }
        }
        Random random = new Random(seed);
        Map<String, HostTensor> in = new LinkedHashMap<>();
        for (Value v : g.inputs()) {
            long[] shape = v.type().evaluate(binding);
            HostTensor t = HostTensor.zeros(v.dtype(), shape);
            Long rows = tableRows.get(v);
            for (int i = 0; i < t.size(); i++) {
                if (v.dtype().isFloat()) {
                    t.setDouble(i, random.nextDouble() * 2 - 1);
                } else if (rows != null) {
                    t.setLong(i, random.nextLong(rows));
                } else {
                    t.setLong(i, 1);
                }
            }
            in.put(v.name(), t);
        }
        return in;
    }
}
