package fsc.frontend.onnx;

import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Value;
import fsc.ir.interp.HostTensor;
import java.util.List;

/**
 * Operands a converter must know at compile time (an axis, a window length, a selection mask). When
 * one is computed at run time the error names it with a {@code --bind NAME=FILE} hint, which the CLI
 * and the conformance runner answer by binding that input to a constant.
 */
final class KnownOperands {
    private KnownOperands() {}

    /** The fixed integer scalar (or one-element tensor) of input {@code i}. */
    static long scalar(NodeContext c, int i, String role) {
        Value v = c.input(i);
        List<Dim> known = c.knownInts(v)
                .filter(d -> d.size() == 1 && d.getFirst().isFixed())
                .orElseThrow(() -> unknown(c, v, role));
        return known.getFirst().value();
    }

    /** The contents of input {@code i}, which must be a constant (or a bound input). */
    static HostTensor tensor(NodeContext c, int i, String role) {
        Value v = c.input(i);
        return c.requiredData(v).map(HostTensor::fromWeight).orElseThrow(() -> unknown(c, v, role));
    }

    private static FscException unknown(NodeContext c, Value v, String role) {
        return new FscException(
                c.where + ": " + role + " ('" + v.name() + "') must be known at compile time",
                "bind it with --bind " + v.name() + "=FILE");
    }
}
