package fsc.ir.interp;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Node;
import java.util.List;
import java.util.Map;

/**
 * One node being executed: its operands, the concrete output shapes (the node's output types
 * evaluated under the symbol binding) and the binding itself, for symbolic attributes.
 */
record Call(Node node, List<HostTensor> in, List<long[]> outShapes, Map<String, Long> binding) {

    HostTensor in(int i) {
        return in.get(i);
    }

    /** The shape of the (first) output. */
    long[] outShape() {
        return outShapes.getFirst();
    }

    DType outType() {
        return node.outputs().getFirst().dtype();
    }

    HostTensor newOutput() {
        return newOutput(0);
    }

    HostTensor newOutput(int i) {
        return HostTensor.zeros(node.outputs().get(i).dtype(), outShapes.get(i));
    }

    FscException fail(String message) {
        return new FscException(node.where() + ": " + message);
    }

    /** An integer list from operand {@code i} when present, else from attribute {@code attr}; null when neither. */
    long[] intsFrom(int i, String attr) {
        if (i < in.size()) {
            return in(i).toLongArray();
        }
        List<Dim> dims = node.dimsAttr(attr);
        return dims == null
                ? null
                : dims.stream().mapToLong(d -> d.evaluate(binding)).toArray();
    }

    /** Normalises a possibly negative axis. */
    static int axis(long axis, int rank) {
        return (int) (axis < 0 ? axis + rank : axis);
    }
}
