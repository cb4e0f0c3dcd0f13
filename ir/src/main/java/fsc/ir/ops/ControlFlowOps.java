package fsc.ir.ops;

import fsc.ir.ControlFlow;
import java.util.List;

/**
 * The control-flow ops {@code if}, {@code loop} and {@code scan}. Their output types come from their
 * regions ({@link ControlFlow#infer}), which a shape rule over operand types cannot see, so {@link
 * Ops#infer(fsc.ir.Node, KnownValues)} routes region-owning nodes there and these rules only refuse
 * a builder that tries to type one without its regions.
 */
final class ControlFlowOps {
    private ControlFlowOps() {}

    static List<OpDef> defs() {
        return List.of(
                new OpSpec(ControlFlow.IF, 1, -1, ControlFlowOps::needsRegions).attrs(),
                new OpSpec(ControlFlow.LOOP, 2, -1, ControlFlowOps::needsRegions)
                        .attrs(
                                new AttrSpec("num_carried", AttrSpec.Kind.INT, null),
                                new AttrSpec("scan_length", AttrSpec.Kind.INT, null)),
                new OpSpec(ControlFlow.SCAN, 1, -1, ControlFlowOps::needsRegions)
                        .attrs(
                                new AttrSpec("num_states", AttrSpec.Kind.INT, null),
                                new AttrSpec("num_scan_inputs", AttrSpec.Kind.INT, null),
                                AttrSpec.ints("scan_input_axes"),
                                AttrSpec.ints("scan_input_directions"),
                                AttrSpec.ints("scan_output_axes"),
                                AttrSpec.ints("scan_output_directions")));
    }

    private static List<fsc.ir.TensorType> needsRegions(InferContext ctx) {
        throw ctx.fail("is typed from its regions; build it with Node.withRegions");
    }
}
