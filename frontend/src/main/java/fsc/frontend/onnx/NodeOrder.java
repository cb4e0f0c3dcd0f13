package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.ir.FscException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Execution order of a graph's nodes. ONNX requires topologically sorted nodes, but exporters break
 * that (gpt2_past.onnx), so this is Kahn's algorithm, stable: among ready nodes the one earliest in
 * the file goes first, so an already sorted graph keeps its order exactly.
 */
final class NodeOrder {
    private NodeOrder() {}

    /**
     * {@code nodes} without Constant nodes whose output a later Constant node redefines. ONNX Runtime
     * turns Constant nodes into initializers keyed by name, so the last definition wins, and edited
     * exports rely on it (gpt2_past.onnx appends new head-count constants after the originals). Any
     * other duplicate definition stays an error in {@link #sort}.
     */
    static List<NodeProto> withoutShadowedConstants(List<NodeProto> nodes) {
        Map<String, Integer> lastConstant = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            if (isConstant(n) && n.getOutputCount() == 1) {
                lastConstant.put(n.getOutput(0), i);
            }
        }
        List<NodeProto> kept = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            boolean shadowed = isConstant(n) && n.getOutputCount() == 1 && lastConstant.get(n.getOutput(0)) != i;
            if (!shadowed) {
                kept.add(n);
            }
        }
        return kept;
    }

    private static boolean isConstant(NodeProto n) {
        return n.getOpType().equals("Constant")
                && Opsets.normalize(n.getDomain()).equals(Opsets.DEFAULT_DOMAIN);
    }

    /**
     * Indices of {@code nodes} in execution order.
     *
     * @param available names defined before any node: graph inputs and initializers
     * @param file the model's file name, for diagnostics
     * @param where names a node for diagnostics, by index
     */
    static List<Integer> sort(List<NodeProto> nodes, Set<String> available, String file, NodeNamer where) {
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String out : nodes.get(i).getOutputList()) {
                if (out.isEmpty()) {
                    continue;
                }
                if (available.contains(out)) {
                    throw new FscException(file + ": " + where.name(i) + ": output '" + out
                            + "' is already a graph input or initializer");
                }
                Integer prev = producer.putIfAbsent(out, i);
                if (prev != null) {
                    throw new FscException(file + ": " + where.name(i) + ": output '" + out + "' is also produced by "
                            + where.name(prev));
                }
            }
        }
        int[] pending = new int[nodes.size()];
        List<List<Integer>> consumers = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            consumers.add(new ArrayList<>());
        }
        for (int i = 0; i < nodes.size(); i++) {
            // A node with subgraphs also waits for the outer names its subgraphs read.
            for (String in : Subgraphs.operandNames(nodes.get(i))) {
                if (in.isEmpty() || available.contains(in)) {
                    continue;
                }
                Integer p = producer.get(in);
                if (p == null) {
                    throw new FscException(file + ": " + where.name(i) + ": input '" + in
                            + "' is not a graph input, an initializer or any node's output");
                }
                pending[i]++;
                consumers.get(p).add(i);
            }
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (pending[i] == 0) {
                ready.add(i);
            }
        }
        List<Integer> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            int n = ready.poll();
            order.add(n);
            for (int c : consumers.get(n)) {
                if (--pending[c] == 0) {
                    ready.add(c);
                }
            }
        }
        if (order.size() < nodes.size()) {
            for (int i = 0; i < nodes.size(); i++) {
                if (pending[i] > 0) {
                    throw new FscException(file + ": " + where.name(i) + ": input '"
                            + waitingOn(nodes.get(i), pending, producer, available)
                            + "' depends on this node's own output (the graph has a cycle)");
                }
            }
        }
        return order;
    }

    /** An input of {@code node} whose producer never ran. */
    private static String waitingOn(
            NodeProto node, int[] pending, Map<String, Integer> producer, Set<String> available) {
        for (String in : node.getInputList()) {
            Integer p = producer.get(in);
            if (!in.isEmpty() && !available.contains(in) && p != null && pending[p] > 0) {
                return in;
            }
        }
        throw new IllegalStateException("node " + node.getName() + " is pending without a pending producer");
    }

    /** Names node {@code index} for diagnostics, e.g. {@code node 'a' (Add)}. */
    @FunctionalInterface
    interface NodeNamer {
        String name(int index);
    }
}
