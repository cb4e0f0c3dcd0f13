package fsc.backend.cuda;

import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What an emitter sees for one node: the node, where its values live, the language table, the
 * graph's symbols (every kernel takes all of them, in sorted order, so argument packing is the same
 * for every launch) and the kernel's unique name.
 */
record KernelScope(Node node, DeviceLayout layout, CudaLanguage lang, List<String> symbols, String name) {

    /** {@code dtype_op_shape_nINDEX}: the output's dtype and dims, symbolic dims by name. */
    static String kernelName(Node n, int index) {
        TensorType t = n.outputs().getFirst().type();
        String shape = t.dims().stream().map(KernelScope::dimName).collect(Collectors.joining("x"));
        String kind = n.isFused() ? "fused_" + n.fusedKind() : n.op();
        String raw = t.dtype().irName() + "_" + kind + "_" + (shape.isEmpty() ? "scalar" : shape) + "_n" + index;
        return raw.replaceAll("[^A-Za-z0-9_]", "_");
    }

    private static String dimName(Dim d) {
        return d.toString().replace("*", "");
    }

    /** The same node under another kernel name, for a node emitted as more than one kernel. */
    KernelScope renamed(String newName) {
        return new KernelScope(node, layout, lang, symbols, newName);
    }

    /** The kernel's opening line and parameters. */
    String signature() {
        StringBuilder sb = new StringBuilder();
        sb.append("// node ")
                .append(node.name().replace('\n', ' '))
                .append(" (")
                .append(node.op())
                .append(")\n");
        sb.append(lang.kernelPrefix())
                .append(' ')
                .append(name)
                .append("(u8* ")
                .append(lang.restrict())
                .append(" A, const u8* ")
                .append(lang.restrict())
                .append(" W, u8* ")
                .append(lang.restrict())
                .append(" P");
        for (String s : symbols) {
            sb.append(", i64 ").append(CExpr.symbol(s));
        }
        return sb.append(")").toString();
    }

    String in(int i) {
        Value v = node.input(i);
        return layout.pointer(v, lang.storage(v.dtype()), false);
    }

    String out(int i) {
        Value v = node.outputs().get(i);
        return layout.pointer(v, lang.storage(v.dtype()), true);
    }

    TensorType inType(int i) {
        return node.input(i).type();
    }

    TensorType outType() {
        return node.outputs().getFirst().type();
    }

    /** The grid-stride loop header over {@code n} items, with {@code i} the flat index. */
    String gridStride(Dim n) {
        return "  const i64 n = " + CExpr.dim(n) + ";\n"
                + "  for (i64 i = (i64)" + lang.blockIdx() + ".x * " + lang.blockDim() + ".x + " + lang.threadIdx()
                + ".x; i < n; i += (i64)" + lang.blockDim() + ".x * " + lang.gridDim() + ".x) {\n";
    }

    Kernel kernel(String body, Launch launch) {
        return new Kernel(name, node.name(), node.op(), signature() + " {\n" + body + "}\n", launch);
    }
}
