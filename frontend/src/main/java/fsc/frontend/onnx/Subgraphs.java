package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.AttributeProto;
import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The outer-scope names ONNX subgraphs (If branches, Loop and Scan bodies) read. */
final class Subgraphs {
    private Subgraphs() {}

    /** A node's inputs followed by the outer names its subgraphs read: what it waits for. */
    static List<String> operandNames(NodeProto n) {
        List<String> names = new ArrayList<>(n.getInputList());
        names.addAll(freeNames(n));
        return names;
    }

    /** The names {@code n}'s subgraph attributes read but do not define, in first-use order. */
    static Set<String> freeNames(NodeProto n) {
        Set<String> free = new LinkedHashSet<>();
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                free.addAll(freeNames(a.getG()));
            }
            for (GraphProto g : a.getGraphsList()) {
                free.addAll(freeNames(g));
            }
        }
        return free;
    }

    static Set<String> freeNames(GraphProto g) {
        Set<String> defined = new HashSet<>();
        g.getInputList().stream().map(ValueInfoProto::getName).forEach(defined::add);
        g.getInitializerList().stream().map(TensorProto::getName).forEach(defined::add);
        for (NodeProto n : g.getNodeList()) {
            defined.addAll(n.getOutputList());
        }
        Set<String> free = new LinkedHashSet<>();
        for (NodeProto n : g.getNodeList()) {
            for (String in : operandNames(n)) {
                if (!in.isEmpty() && !defined.contains(in)) {
                    free.add(in);
                }
            }
        }
        for (ValueInfoProto out : g.getOutputList()) {
            if (!defined.contains(out.getName())) {
                free.add(out.getName());
            }
        }
        return free;
    }
}
