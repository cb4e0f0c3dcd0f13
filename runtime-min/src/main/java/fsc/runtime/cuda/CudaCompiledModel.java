package fsc.runtime.cuda;

import fsc.runtime.CompiledModel;
import fsc.runtime.Signature;
import fsc.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A CUDA jar's model behind the same {@link CompiledModel} interface as the Java backend's, so
 * {@code fsc run}, {@code fsc serve}, {@code fsc generate} and the jar's own {@code Main} need not
 * know which code runs. Inputs are validated by the launcher's input specs (the same one-line
 * errors as the Java model), symbols are bound from the inputs' shapes, and outputs are fresh host
 * tensors sized from the launcher's output shape formulas.
 */
public final class CudaCompiledModel implements CompiledModel {
    private final CudaProgram program;
    private final CudaModel gpu;
    private final Signature signature;
    /** For each of the program's (sorted) symbols, its index in the signature's order. */
    private final int[] symbolIndex;

    public CudaCompiledModel(CudaProgram program, CudaModel gpu) {
        this.program = program;
        this.gpu = gpu;
        this.signature = new Signature(program.inputSpecs(), List.of());
        this.symbolIndex = symbolIndex(program.symbols(), signature.symbols());
    }

    /** Where each sorted program symbol sits in the signature's first-appearance order. */
    static int[] symbolIndex(List<String> programSymbols, List<String> signatureSymbols) {
        int[] idx = new int[programSymbols.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = signatureSymbols.indexOf(programSymbols.get(i));
            if (idx[i] < 0) {
                throw new IllegalStateException("CUDA launcher symbol " + programSymbols.get(i)
                        + " is bound by no input (inputs bind " + signatureSymbols + ")");
            }
        }
        return idx;
    }

    @Override
    public List<String> inputNames() {
        return program.inputs().stream().map(CudaProgram.Slot::name).toList();
    }

    @Override
    public List<String> outputNames() {
        return program.outputs().stream().map(CudaProgram.Slot::name).toList();
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        long[] bound = signature.bind(inputs);
        long[] s = new long[symbolIndex.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = bound[symbolIndex[i]];
        }
        List<MemorySegment> in = new ArrayList<>();
        for (CudaProgram.Slot slot : program.inputs()) {
            in.add(inputs.get(slot.name()).data());
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        List<MemorySegment> out = new ArrayList<>();
        List<CudaProgram.Slot> outs = program.outputs();
        for (int i = 0; i < outs.size(); i++) {
            // Host copies are GC-managed: a caller may keep outputs past the next call.
            Tensor t = Tensor.allocate(outs.get(i).type(), program.outputShape(i, s), Arena.ofAuto());
            result.put(outs.get(i).name(), t);
            out.add(t.data());
        }
        gpu.run(s, in, out);
        return result;
    }

    @Override
    public void close() {
        gpu.close();
    }
}
