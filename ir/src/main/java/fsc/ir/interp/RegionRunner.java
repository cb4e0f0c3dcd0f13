package fsc.ir.interp;

import fsc.ir.ControlFlow;
import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.Node;
import fsc.ir.Region;
import fsc.ir.Value;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * Runs control-flow nodes ({@link ControlFlow}) for the interpreter: {@code if} runs one branch,
 * {@code loop} iterates while its trip count and condition allow, stacking scan outputs, and {@code
 * scan} slices its scan inputs along their axes, step by step in each input's direction. Each
 * region runs in a fresh environment holding only its parameters (regions read nothing else).
 */
final class RegionRunner {
    private RegionRunner() {}

    /** Runs the nodes of a region over an environment; the interpreter's own executor. */
    @FunctionalInterface
    interface Executor {
        void execute(List<Node> nodes, Map<Value, HostTensor> env, SortedMap<String, Long> binding);
    }

    static List<HostTensor> run(Node n, List<HostTensor> in, SortedMap<String, Long> binding, Executor exec) {
        return switch (n.op()) {
            case ControlFlow.IF -> runIf(n, in, binding, exec);
            case ControlFlow.LOOP -> runLoop(n, in, binding, exec);
            case ControlFlow.SCAN -> runScan(n, in, binding, exec);
            default -> throw new IllegalStateException(n.where() + " is not a control-flow node");
        };
    }

    private static List<HostTensor> region(
            Region r, List<HostTensor> params, SortedMap<String, Long> binding, Executor exec) {
        Map<Value, HostTensor> env = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            env.put(r.params().get(i), params.get(i));
        }
        exec.execute(r.nodes(), env, binding);
        return r.results().stream().map(env::get).toList();
    }

    private static List<HostTensor> runIf(Node n, List<HostTensor> in, SortedMap<String, Long> binding, Executor exec) {
        Region branch = n.regions().get(in.get(0).getLong(0) != 0 ? 0 : 1);
        return region(branch, in.subList(1, in.size()), binding, exec);
    }

    private static List<HostTensor> runLoop(
            Node n, List<HostTensor> in, SortedMap<String, Long> binding, Executor exec) {
        int carried = ControlFlow.carried(n);
        Region body = n.regions().get(0);
        long trips = in.get(0).getLong(0);
        boolean cond = in.get(1).getLong(0) != 0;
        List<HostTensor> state = new ArrayList<>(in.subList(2, 2 + carried));
        List<HostTensor> captures = in.subList(2 + carried, in.size());
        int scans = body.results().size() - 1 - carried;
        List<List<HostTensor>> rows = new ArrayList<>();
        for (int j = 0; j < scans; j++) {
            rows.add(new ArrayList<>());
        }
        for (long i = 0; i < trips && cond; i++) {
            List<HostTensor> params = new ArrayList<>();
            params.add(HostTensor.ofLongs(new long[0], i));
            params.add(HostTensor.ofInts(DType.BOOL, new long[0], 1));
            params.addAll(state);
            params.addAll(captures);
            List<HostTensor> res = region(body, params, binding, exec);
            cond = res.get(0).getLong(0) != 0;
            state = new ArrayList<>(res.subList(1, 1 + carried));
            for (int j = 0; j < scans; j++) {
                rows.get(j).add(res.get(1 + carried + j));
            }
        }
        List<HostTensor> out = new ArrayList<>(state);
        if (scans > 0) {
            long length = ControlFlow.scanLength(n).orElseThrow();
            if (rows.get(0).size() != length) {
                throw new FscException(
                        n.where() + ": the loop ran " + rows.get(0).size() + " iterations, but its scan outputs have "
                                + length + " rows (fixed at compile time)");
            }
            for (int j = 0; j < scans; j++) {
                Value v = n.outputs().get(carried + j);
                out.add(stack(rows.get(j), v.dtype(), v.type().evaluate(binding), 0, false));
            }
        }
        return out;
    }

    private static List<HostTensor> runScan(
            Node n, List<HostTensor> in, SortedMap<String, Long> binding, Executor exec) {
        int states = ControlFlow.states(n);
        int m = ControlFlow.scanInputs(n);
        Region body = n.regions().get(0);
        int k = body.results().size() - states;
        long[] inAxes = ControlFlow.ints(n, "scan_input_axes", m);
        long[] inDirs = ControlFlow.ints(n, "scan_input_directions", m);
        long[] outAxes = ControlFlow.ints(n, "scan_output_axes", k);
        long[] outDirs = ControlFlow.ints(n, "scan_output_directions", k);
        long length = in.get(states).shape()[(int) inAxes[0]];
        List<HostTensor> state = new ArrayList<>(in.subList(0, states));
        List<HostTensor> captures = in.subList(states + m, in.size());
        List<List<HostTensor>> rows = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            rows.add(new ArrayList<>());
        }
        for (long t = 0; t < length; t++) {
            List<HostTensor> params = new ArrayList<>(state);
            for (int j = 0; j < m; j++) {
                long at = inDirs[j] == 0 ? t : length - 1 - t;
                params.add(slice(in.get(states + j), (int) inAxes[j], at));
            }
            params.addAll(captures);
            List<HostTensor> res = region(body, params, binding, exec);
            state = new ArrayList<>(res.subList(0, states));
            for (int j = 0; j < k; j++) {
                rows.get(j).add(res.get(states + j));
            }
        }
        List<HostTensor> out = new ArrayList<>(state);
        for (int j = 0; j < k; j++) {
            Value v = n.outputs().get(states + j);
            out.add(stack(rows.get(j), v.dtype(), v.type().evaluate(binding), (int) outAxes[j], outDirs[j] != 0));
        }
        return out;
    }

    /** Element {@code at} of {@code x} along {@code axis}, the axis removed. */
    static HostTensor slice(HostTensor x, int axis, long at) {
        long[] shape = x.shape();
        long[] sub = new long[shape.length - 1];
        for (int i = 0, o = 0; i < shape.length; i++) {
            if (i != axis) {
                sub[o++] = shape[i];
            }
        }
        HostTensor out = HostTensor.zeros(x.dtype(), sub);
        long pre = 1;
        for (int i = 0; i < axis; i++) {
            pre *= shape[i];
        }
        int block = blockBytes(x.dtype(), shape, axis);
        ByteBuffer src = x.dataView();
        ByteBuffer dst = out.dataView();
        for (long p = 0; p < pre; p++) {
            int from = Math.toIntExact((p * shape[axis] + at) * block);
            dst.put(Math.toIntExact(p * block), src, from, block);
        }
        return out;
    }

    /** {@code rows} stacked along {@code axis} (in reverse when {@code reverse}) into a tensor of {@code shape}. */
    static HostTensor stack(List<HostTensor> rows, DType dtype, long[] shape, int axis, boolean reverse) {
        HostTensor out = HostTensor.zeros(dtype, shape);
        long pre = 1;
        for (int i = 0; i < axis; i++) {
            pre *= shape[i];
        }
        int block = blockBytes(dtype, shape, axis);
        ByteBuffer dst = out.dataView();
        int length = rows.size();
        for (int t = 0; t < length; t++) {
            ByteBuffer src = rows.get(t).dataView();
            long at = reverse ? length - 1 - t : t;
            for (long p = 0; p < pre; p++) {
                dst.put(Math.toIntExact((p * shape[axis] + at) * block), src, Math.toIntExact(p * block), block);
            }
        }
        return out;
    }

    /** Bytes of one step along {@code axis}: the product of the later dims, in whole elements. */
    private static int blockBytes(DType dtype, long[] shape, int axis) {
        if (dtype.isSubByte()) {
            throw new FscException("control flow over packed " + dtype.irName() + " tensors is not supported");
        }
        long post = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            post *= shape[i];
        }
        return Math.toIntExact(dtype.bytesFor(post));
    }
}
