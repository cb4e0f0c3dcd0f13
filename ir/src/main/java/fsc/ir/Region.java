package fsc.ir;

import java.util.List;

/**
 * The body of a fused node: a small graph with block arguments. {@code params} stand for the fused
 * node's inputs (one per input, same types); {@code nodes} run in order over the params and their
 * own results only (a body never reads outer values directly, so a backend can emit it as one
 * self-contained kernel); {@code results} are the values yielded as the node's outputs (one per
 * output, same types). Every value in a body is defined exactly once in the whole graph.
 */
public record Region(List<Value> params, List<Node> nodes, List<Value> results) {

    public Region {
        params = List.copyOf(params);
        nodes = List.copyOf(nodes);
        results = List.copyOf(results);
    }
}
