package fsc.ir.interp;

import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Node;
import java.util.List;
import java.util.Map;

/**
 * One node being executed: its operands, the concrete output shape and type (the node's output type
 * evaluated under the symbol binding) and the binding itself, for symbolic attributes.
 */
record Call(Node node, List<HostTensor> in, long[] outShape, DType outType, Map<String, Long> binding) {

    HostTensor in(int i) {
        return in.get(i);
    }

    HostTensor newOutput() {
        return HostTensor.zeros(outType, outShape);
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
