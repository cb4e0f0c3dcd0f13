package fsc.passes;

import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.Region;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Groups chains of f32 element-wise ops into one {@code fused @elementwise} node, so the backend runs
 * the chain as one loop that reads each operand once and writes only the last result:
 *
 * <pre>
 * %a = sub(%one, %mask)                  %y = fused @elementwise(%one, %mask, %big) {
 * %y = mul(%a, %big)            ⇒          ^(%p0: f32[], %p1: f32[B,1,1,S], %p2: f32[]):
 *                                           %a = sub(%p0, %p1)
 *                                           %y_r = mul(%a, %p2)
 *                                           yield %y_r }
 * </pre>
 *
 * A producer joins its consumer's group only when the consumer is its only reader (and it is not a
 * graph output), so no intermediate is observable, and when it has the consumer's shape, so the whole
 * group is one loop nest over the output shape with the outside operands broadcasting into it. Groups
 * are trees rooted at the last node; the fused node stands where the root stood, which keeps the order
 * topological (every operand of a member is defined before the member, hence before the root).
 *
 * <p>Which ops may join a group, and which steps after a weight GEMM the backend folds into the
 * GEMM's epilogue (left alone here: absorbing them would trade a free epilogue for a separate pass
 * over memory), are the backend's {@link FusionRules}, handed in by the pipeline for the target.
 */
@PassInfo(name = "fuse", summary = "group chains of element-wise ops into one fused kernel per chain")
public final class FusePass implements Pass {

    /** The kind attribute of the nodes this pass builds. */
    public static final String KIND = "elementwise";

    private final FusionRules rules;

    /** With {@link FusionRules#DEFAULT}: for {@code --passes fuse} and pipelines not told their backend. */
    public FusePass() {
        this(FusionRules.DEFAULT);
    }

    public FusePass(FusionRules rules) {
        this.rules = rules;
    }

    /** The rules this pass applies. */
    public FusionRules rules() {
        return rules;
    }

    @Override
    public Graph run(Graph g, PassContext ctx) {
        Map<Value, List<Node>> readers = new IdentityHashMap<>();
        Map<Value, Node> producer = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            for (Value in : n.inputs()) {
                readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
            for (Value out : n.outputs()) {
                producer.put(out, n);
            }
        }
        Set<Value> outputs = Substitution.identitySet(g.outputs());
        Set<Node> epilogue = epilogueSteps(g, readers, outputs);
        Map<Node, Node> replacedBy = new IdentityHashMap<>();
        Set<Node> taken = Collections.newSetFromMap(new IdentityHashMap<>());
        int fusedNodes = 0;
        int groups = 0;
        for (Node root : g.nodes().reversed()) {
            if (taken.contains(root) || !fusable(root) || epilogue.contains(root)) {
                continue;
            }
            List<Node> members = new ArrayList<>();
            collect(root, root, members, producer, readers, outputs, epilogue, taken);
            if (members.size() < 2) {
                continue;
            }
            taken.addAll(members);
            List<Node> ordered = g.nodes().stream().filter(members::contains).toList();
            replacedBy.put(root, build(root, ordered));
            for (Node m : members) {
                replacedBy.putIfAbsent(m, null);
            }
            fusedNodes += members.size();
            groups++;
        }
        if (groups == 0) {
            return g;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!replacedBy.containsKey(n)) {
                nodes.add(n);
            } else if (replacedBy.get(n) != null) {
                nodes.add(replacedBy.get(n));
            }
        }
        ctx.note("fused " + fusedNodes + " element-wise nodes into " + groups + " kernels");
        return g.withNodes(nodes);
    }

    /** An f32 element-wise node with one output: a candidate member of a group. */
    private boolean fusable(Node n) {
        if (!rules.chainOps().contains(n.op()) || n.isFused() || n.outputs().size() != 1) {
            return false;
        }
        if (n.output().dtype() != DType.F32 || !n.output().type().layout().isEmpty()) {
            return false;
        }
        for (Value in : n.inputs()) {
            if (in.dtype() != DType.F32 || !in.type().layout().isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** Adds {@code n} and, depth first, every producer that may join {@code root}'s group. */
    private void collect(
            Node n,
            Node root,
            List<Node> members,
            Map<Value, Node> producer,
            Map<Value, List<Node>> readers,
            Set<Value> outputs,
            Set<Node> epilogue,
            Set<Node> taken) {
        members.add(n);
        for (Value in : n.inputs()) {
            Node p = producer.get(in);
            boolean joins = p != null
                    && !members.contains(p)
                    && !taken.contains(p)
                    && fusable(p)
                    && !epilogue.contains(p)
                    && !outputs.contains(in)
                    && readers.get(in).stream().allMatch(r -> r == n)
                    && in.type().dims().equals(root.output().type().dims());
            if (joins) {
                collect(p, root, members, producer, readers, outputs, epilogue, taken);
            }
        }
    }

    /**
     * The body: one param per distinct outside operand (in order of first use), the members in graph
     * order reading params instead of outside values, and a fresh value for the root's result (the
     * original stays the fused node's output, so readers of the chain need no rewrite).
     */
    private static Node build(Node root, List<Node> ordered) {
        Set<Value> inside = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node m : ordered) {
            inside.addAll(m.outputs());
        }
        Map<Value, Value> params = new IdentityHashMap<>();
        List<Value> operands = new ArrayList<>();
        List<Node> body = new ArrayList<>();
        Value result = new Value(root.output().name() + "_r", root.output().type());
        for (Node m : ordered) {
            List<Value> ins = new ArrayList<>();
            for (Value in : m.inputs()) {
                if (inside.contains(in)) {
                    ins.add(in);
                    continue;
                }
                Value p = params.get(in);
                if (p == null) {
                    p = new Value("p" + params.size(), in.type());
                    params.put(in, p);
                    operands.add(in);
                }
                ins.add(p);
            }
            List<Value> outs = m == root ? List.of(result) : m.outputs();
            body.add(new Node(m.op(), m.name(), ins, outs, m.attrs()));
        }
        List<Value> paramList = operands.stream().map(params::get).toList();
        return Node.fused(
                KIND, root.name(), operands, root.outputs(), Map.of(), new Region(paramList, body, List.of(result)));
    }

    /**
     * The nodes the backend's GEMM epilogue absorbs ({@link FusionRules}): a constant-operand add
     * reading a matmul's sole-reader result, then an epilogue activation reading that (or the matmul
     * directly) as its sole reader.
     */
    private Set<Node> epilogueSteps(Graph g, Map<Value, List<Node>> readers, Set<Value> outputs) {
        Set<Node> steps = Collections.newSetFromMap(new IdentityHashMap<>());
        if (!rules.hasGemmEpilogue()) {
            return steps;
        }
        for (Node n : g.nodes()) {
            if (!n.op().equals("matmul") || n.outputs().size() != 1) {
                continue;
            }
            Node next = soleReader(n.output(), readers, outputs);
            if (next != null && rules.gemmEpilogueBias() && next.op().equals("add")) {
                Value other = next.input(0) == n.output() ? next.input(1) : next.input(0);
                if (g.constantOf(other) != null) {
                    steps.add(next);
                    next = soleReader(next.output(), readers, outputs);
                }
            }
            if (next != null && rules.gemmEpilogueActivations().contains(next.op())) {
                steps.add(next);
            }
        }
        return steps;
    }

    private static Node soleReader(Value v, Map<Value, List<Node>> readers, Set<Value> outputs) {
        List<Node> r = readers.getOrDefault(v, List.of());
        return r.size() == 1 && !outputs.contains(v) ? r.getFirst() : null;
    }
}
