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
 * <p>The sample inputs are random: integer inputs that index a constant table ({@code gather}, e.g.
 * token ids) are drawn uniformly from its rows, other integer inputs are 1 (masks), floats uniform
 * in [-1, 1]; each symbol is min(bound, {@value #SYMBOL_VALUE}). They are not real data (a
 * calibration set would be): the numbers rank layers and assignments; the ONNX Runtime test
 * measures real text.
 */
final class QuantMeasure {
    static final long SYMBOL_VALUE = 16;

    private final Graph f32;
    private final Map<String, HostTensor> inputs;
    private final Map<Value, HostTensor> reference;

    /** Per activation read by a linear layer (by value name), the maximum |x| of each channel (last axis). */
    private final Map<String, float[]> activationMax = new TreeMap<>();

    /** Per activation, the layers reading it (they share its quantization and smoothing). */
    private final Map<Value, List<Node>> readers = new IdentityHashMap<>();

    /** One f32 run of {@code f32} (the graph quantize would receive) on sample inputs seeded by {@code seed}. */
    QuantMeasure(Graph f32, long seed) {
        this.f32 = f32;
        this.inputs = sampleInputs(f32, seed);
        this.reference = new Interpreter(f32).runAll(inputs);
        for (Node n : QuantizePass.linearLayers(f32)) {
            Value x = n.input(0);
            readers.computeIfAbsent(x, v -> new ArrayList<>()).add(n);
            if (activationMax.containsKey(x.name())) {
                continue;
            }
            float[] v = reference.get(x).toFloatArray();
            int k = Math.toIntExact(n.input(1).type().dim(0).value());
            float[] max = new float[k];
            for (int i = 0; i < v.length; i++) {
                max[i % k] = Math.max(max[i % k], Math.abs(v[i]));
            }
            activationMax.put(x.name(), max);
        }
    }

    Map<String, float[]> activationMax() {
        return activationMax;
    }

    /** The smoothing scales of n's activation with every layer reading it at int8 (see {@link Smoothing}). */
    private float[] smoothing(Node n, Precision p) {
        List<float[]> ws = new ArrayList<>();
        List<Integer> cols = new ArrayList<>();
        for (Node r : readers.get(n.input(0))) {
            ws.add(WeightQuantizer.floats(
                    f32.weights().get(f32.constantOf(r.input(1)).weight())));
            cols.add(Math.toIntExact(r.input(1).type().dim(1).value()));
        }
        float[] max = activationMax.get(n.input(0).name());
        return p == Precision.INT8 ? Smoothing.scales(max, ws, cols) : Smoothing.int4Scales(max, ws, cols);
    }

    /** The error of one layer quantized to {@code p}, its input and the rest of the model in f32. */
    record LayerError(double cosine, double relL2) {}

    LayerError layer(Node n, Precision p) {
        HostTensor xt = reference.get(n.input(0));
        HostTensor yt = reference.get(n.output());
        WeightData wd = f32.weights().get(f32.constantOf(n.input(1)).weight());
        int k = Math.toIntExact(wd.dims().get(0));
        int cols = Math.toIntExact(wd.dims().get(1));
        float[] w = WeightQuantizer.floats(wd);
        float[] x = xt.toFloatArray();
        int rows = x.length / k;
        double[] wq;
        double[] xq;
        if (p == Precision.INT8) {
            float[] sm = smoothing(n, p);
            float[] xs = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                xs[i] = x[i] * (1f / sm[i % k]);
            }
            xq = rowQuantized(xs, k);
            wq = WeightQuantizer.decoded(Smoothing.scaleRows(w, sm, cols), k, cols, p);
        } else {
            // x / s times the int4 (s·W): the scales cancel but for the weights' rounding.
            float[] sm = smoothing(n, p);
            xq = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                xq[i] = x[i] * (1f / sm[i % k]);
            }
            wq = WeightQuantizer.decoded(Smoothing.scaleRows(w, sm, cols), k, cols, p);
        }
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
        return new LayerError(nq == 0 || nr == 0 ? 1 : dot / Math.sqrt(nq * nr), nr == 0 ? 0 : Math.sqrt(diff / nr));
    }

    /** The end-to-end error of a quantized graph: over every f32 output's rows, the lowest and mean cosine. */
    record EndToEnd(double minCosine, double meanCosine, double relL2) {}

    EndToEnd endToEnd(Map<String, Precision> assignment) {
        Graph q = new QuantizePass(Precision.FP32, assignment, activationMax).run(f32, PassContext.defaults());
        Map<String, HostTensor> out = new Interpreter(interpretable(q)).run(inputs);
        double min = 1;
        double sum = 0;
        int count = 0;
        double diff = 0;
        double norm = 0;
        for (Value v : f32.outputs()) {
            if (v.dtype() != DType.F32 || v.type().rank() < 1) {
                continue;
            }
            HostTensor a = out.get(v.name());
            HostTensor b = reference.get(v);
            int width = Math.toIntExact(a.shape()[a.rank() - 1]);
            int rows = a.size() / Math.max(width, 1);
            for (int r = 0; r < rows; r++) {
                double dot = 0;
                double na = 0;
                double nb = 0;
                for (int j = 0; j < width; j++) {
                    double x = a.getDouble((long) r * width + j);
                    double y = b.getDouble((long) r * width + j);
                    dot += x * y;
                    na += x * x;
                    nb += y * y;
                    diff += (x - y) * (x - y);
                }
                norm += nb;
                double cos = na == 0 || nb == 0 ? (na == nb ? 1 : 0) : dot / Math.sqrt(na * nb);
                min = Math.min(min, cos);
                sum += cos;
                count++;
            }
        }
        return new EndToEnd(min, count == 0 ? 1 : sum / count, norm == 0 ? 0 : Math.sqrt(diff / norm));
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
            if (c.value().dtype() != DType.Q4_0) {
                constants.add(c);
                continue;
            }
            WeightData w = weights.get(c.weight());
            weights.put(c.weight(), WeightQuantizer.q4_0AsF32(w));
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
