package fsc.ir;

import fsc.ir.ops.Ops;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The three control-flow ops and the layout of their operands, region parameters and results. Each
 * region reads only its parameters ("isolated from above", as MLIR's {@code IsolatedFromAbove}): the
 * ONNX importer turns every outer-scope name a subgraph uses into a <em>captured</em> operand of the
 * node and a parameter of the region, so outer passes (dce, cse, fold) see every use as an ordinary
 * operand, and a region can be lifted into a standalone graph ({@link RegionGraph}).
 *
 * <pre>
 *   if   (cond, c...)                       regions then, else: ^(c...) yield (r...)         → r...
 *   loop (max_trip, cond, v..., c...)       region body: ^(iter, cond, v..., c...)
 *        {num_carried = n, scan_length = L}       yield (cond', v'..., s...)                 → v..., [L, s]...
 *   scan (st..., x..., c...)                region body: ^(st..., x slices..., c...)
 *        {num_states, num_scan_inputs,            yield (st'..., y slices...)                → st..., y...
 *         scan_input_axes/directions, scan_output_axes/directions}
 * </pre>
 *
 * Branch results must agree in type, loop-carried values keep their type, and a loop with scan
 * outputs runs exactly {@code scan_length} iterations (checked at run time): outputs have one static
 * type, so a data-dependent length must be known (or declared) at compile time.
 */
public final class ControlFlow {
    private ControlFlow() {}

    public static final String IF = "if";
    public static final String LOOP = "loop";
    public static final String SCAN = "scan";

    public static boolean isControlFlow(String op) {
        return op.equals(IF) || op.equals(LOOP) || op.equals(SCAN);
    }

    /** How many regions {@code op} owns. */
    public static int regionCount(String op) {
        return op.equals(IF) ? 2 : 1;
    }

    /** Index of the first captured operand (and of the first capture parameter of every region). */
    public static int firstCapture(Node n) {
        return switch (n.op()) {
            case IF -> 1;
            case LOOP -> 2 + carried(n);
            case SCAN -> states(n) + scanInputs(n);
            default -> throw new IllegalStateException(n.where() + " is not a control-flow node");
        };
    }

    /** Index of a region's first capture parameter: the parameters before it change per entry or iteration. */
    public static int firstCaptureParam(Node n) {
        return n.op().equals(IF) ? 0 : firstCapture(n);
    }

    /** The node operand bound to parameter {@code p} of every region on each entry, or -1 when the op sets it. */
    public static int capturedInput(Node n, int p) {
        int first = firstCaptureParam(n);
        return p < first ? -1 : firstCapture(n) + (p - first);
    }

    public static int carried(Node n) {
        return (int) ((Attr.Int) attr(n, "num_carried")).value();
    }

    public static int states(Node n) {
        return (int) ((Attr.Int) attr(n, "num_states")).value();
    }

    public static int scanInputs(Node n) {
        return (int) ((Attr.Int) attr(n, "num_scan_inputs")).value();
    }

    /** Loop: the static number of rows of its scan outputs; empty without the attribute. */
    public static Optional<Long> scanLength(Node n) {
        Attr a = n.attrs().get("scan_length");
        return a == null ? Optional.empty() : Optional.of(((Attr.Int) a).value());
    }

    /** An integer-list attribute of a scan, or {@code count} zeros when absent (ONNX's default). */
    public static long[] ints(Node n, String name, int count) {
        long[] v = n.intsAttr(name);
        return v == null ? new long[count] : v;
    }

    private static Attr attr(Node n, String name) {
        Attr a = n.attrs().get(name);
        if (!(a instanceof Attr.Int)) {
            throw new FscException(n.where() + ": needs the integer attribute '" + name + "'");
        }
        return a;
    }

    /**
     * The output types of control-flow node {@code n}, derived from its regions after checking their
     * signatures against the operands (arity, parameter and result types, axes).
     */
    public static List<TensorType> infer(Node n) {
        String where = n.where();
        Ops.get(n.op()).attrSchema().problem(n.attrs()).ifPresent(p -> {
            throw new FscException(where + ": " + p);
        });
        if (n.regions().size() != regionCount(n.op())) {
            throw new FscException(
                    where + ": has " + n.regions().size() + " regions, " + n.op() + " takes " + regionCount(n.op()));
        }
        if (n.inputs().size() < firstCapture(n)) {
            throw new FscException(
                    where + ": has " + n.inputs().size() + " operands, needs at least " + firstCapture(n));
        }
        for (int r = 0; r < n.regions().size(); r++) {
            Region region = n.regions().get(r);
            int expect = firstCaptureParam(n) + n.inputs().size() - firstCapture(n);
            if (region.params().size() != expect) {
                throw new FscException(
                        where + ": region " + r + " has " + region.params().size() + " parameters, expected " + expect);
            }
            for (int p = firstCaptureParam(n); p < expect; p++) {
                sameType(
                        where,
                        "region " + r + " parameter " + p,
                        region.params().get(p),
                        n.input(capturedInput(n, p)));
            }
        }
        return switch (n.op()) {
            case IF -> inferIf(n);
            case LOOP -> inferLoop(n);
            case SCAN -> inferScan(n);
            default -> throw new IllegalStateException(where + " is not a control-flow node");
        };
    }

    private static List<TensorType> inferIf(Node n) {
        String where = n.where();
        oneElement(where, "condition", n.input(0).type(), DType.BOOL);
        List<Value> then = n.regions().get(0).results();
        List<Value> other = n.regions().get(1).results();
        if (then.size() != other.size()) {
            throw new FscException(
                    where + ": the then branch yields " + then.size() + " values, the else branch " + other.size());
        }
        for (int i = 0; i < then.size(); i++) {
            if (!then.get(i).type().equals(other.get(i).type())) {
                throw new FscException(
                        where + ": output " + i + " is " + then.get(i).type() + " in the then branch but "
                                + other.get(i).type() + " in the else branch (fsc needs branches of one type)");
            }
        }
        return then.stream().map(Value::type).toList();
    }

    private static List<TensorType> inferLoop(Node n) {
        String where = n.where();
        int carried = carried(n);
        oneElement(where, "trip count", n.input(0).type(), DType.I64);
        oneElement(where, "condition", n.input(1).type(), DType.BOOL);
        Region body = n.regions().get(0);
        checkScalar(where, "iteration parameter", body.params().get(0), DType.I64);
        checkScalar(where, "condition parameter", body.params().get(1), DType.BOOL);
        for (int i = 0; i < carried; i++) {
            sameType(where, "loop-carried parameter " + i, body.params().get(2 + i), n.input(2 + i));
        }
        List<Value> res = body.results();
        if (res.size() < 1 + carried) {
            throw new FscException(where + ": the body yields " + res.size() + " values, needs the condition and "
                    + carried + " loop-carried values");
        }
        oneElement(where, "the body's condition result", res.get(0).type(), DType.BOOL);
        List<TensorType> out = new ArrayList<>();
        for (int i = 0; i < carried; i++) {
            if (!res.get(1 + i).type().equals(body.params().get(2 + i).type())) {
                throw new FscException(where + ": loop-carried value " + i + " enters as "
                        + body.params().get(2 + i).type() + " but the body yields "
                        + res.get(1 + i).type()
                        + " (fsc needs a fixed type across iterations)");
            }
            out.add(res.get(1 + i).type());
        }
        int scans = res.size() - 1 - carried;
        if (scans > 0) {
            long length = scanLength(n)
                    .orElseThrow(() -> new FscException(where + ": a loop with scan outputs needs 'scan_length'"));
            if (length < 0) {
                throw new FscException(where + ": scan_length " + length + " is negative");
            }
            for (int j = 0; j < scans; j++) {
                TensorType t = res.get(1 + carried + j).type();
                List<Dim> dims = new ArrayList<>();
                dims.add(Dim.of(length));
                dims.addAll(t.dims());
                out.add(t.withDims(dims));
            }
        }
        return out;
    }

    private static List<TensorType> inferScan(Node n) {
        String where = n.where();
        int states = states(n);
        int m = scanInputs(n);
        if (m < 1) {
            throw new FscException(where + ": a scan needs at least one scan input");
        }
        Region body = n.regions().get(0);
        long[] inAxes = ints(n, "scan_input_axes", m);
        long[] inDirs = ints(n, "scan_input_directions", m);
        if (inAxes.length != m || inDirs.length != m) {
            throw new FscException(where + ": scan_input_axes/directions need " + m + " entries");
        }
        Dim length = null;
        for (int i = 0; i < states; i++) {
            sameType(where, "state parameter " + i, body.params().get(i), n.input(i));
        }
        for (int j = 0; j < m; j++) {
            TensorType x = n.input(states + j).type();
            int axis = (int) inAxes[j];
            if (axis < 0 || axis >= x.rank()) {
                throw new FscException(where + ": scan input " + j + " " + x + " has no axis " + axis);
            }
            if (inDirs[j] != 0 && inDirs[j] != 1) {
                throw new FscException(where + ": scan direction " + inDirs[j] + " is not 0 or 1");
            }
            if (length == null) {
                length = x.dim(axis);
            } else if (!length.equals(x.dim(axis))) {
                throw new FscException(where + ": scan input " + j + " has " + x.dim(axis) + " steps along axis " + axis
                        + ", the first has " + length);
            }
            List<Dim> slice = new ArrayList<>(x.dims());
            slice.remove(axis);
            TensorType expect = x.withDims(slice);
            if (!body.params().get(states + j).type().equals(expect)) {
                throw new FscException(where + ": scan parameter " + j + " is "
                        + body.params().get(states + j).type() + ", a slice of " + x + " along axis " + axis + " is "
                        + expect);
            }
        }
        List<Value> res = body.results();
        if (res.size() < states) {
            throw new FscException(where + ": the body yields " + res.size() + " values for " + states + " states");
        }
        List<TensorType> out = new ArrayList<>();
        for (int i = 0; i < states; i++) {
            if (!res.get(i).type().equals(n.input(i).type())) {
                throw new FscException(
                        where + ": state " + i + " enters as " + n.input(i).type() + " but the body yields "
                                + res.get(i).type());
            }
            out.add(res.get(i).type());
        }
        int k = res.size() - states;
        long[] outAxes = ints(n, "scan_output_axes", k);
        long[] outDirs = ints(n, "scan_output_directions", k);
        if (outAxes.length != k || outDirs.length != k) {
            throw new FscException(where + ": scan_output_axes/directions need " + k + " entries");
        }
        for (int j = 0; j < k; j++) {
            TensorType y = res.get(states + j).type();
            int axis = (int) outAxes[j];
            if (axis < 0 || axis > y.rank()) {
                throw new FscException(where + ": scan output " + j + " (slice " + y + ") has no axis " + axis);
            }
            if (outDirs[j] != 0 && outDirs[j] != 1) {
                throw new FscException(where + ": scan direction " + outDirs[j] + " is not 0 or 1");
            }
            List<Dim> dims = new ArrayList<>(y.dims());
            dims.add(axis, length);
            out.add(y.withDims(dims));
        }
        return out;
    }

    private static void sameType(String where, String what, Value param, Value operand) {
        if (!param.type().equals(operand.type())) {
            throw new FscException(where + ": " + what + " %" + param.name() + " is " + param.type() + " but operand %"
                    + operand.name() + " is " + operand.type());
        }
    }

    private static void oneElement(String where, String what, TensorType t, DType dtype) {
        if (t.dtype() != dtype || !t.isStatic() || t.elementCount().value() != 1) {
            throw new FscException(where + ": the " + what + " is " + t + ", expected one " + dtype.irName());
        }
    }

    private static void checkScalar(String where, String what, Value v, DType dtype) {
        if (!v.type().equals(new TensorType(dtype, List.of()))) {
            throw new FscException(where + ": the body's " + what + " %" + v.name() + " is " + v.type() + ", expected "
                    + dtype.irName() + "[]");
        }
    }
}
