package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.StringStringEntryProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.frontend.onnx.proto.Onnx.TypeProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import fsc.ir.DType;
import fsc.ir.FscException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code fsc inspect} shows about an ONNX file, read without importing it: so it works on
 * models with unsupported ops too, and each op is marked whether fsc supports it.
 *
 * @param inputs graph inputs that are not initializers
 * @param ops op histogram, most frequent first, ties by name; non-standard domains prefix the name
 * @param opsets imported operator sets, domain → version
 * @param parameterCount elements in all initializers
 * @param parameterBytes bytes of all initializers, inline or external
 */
public record OnnxModelInfo(
        String file,
        long irVersion,
        String producerName,
        String producerVersion,
        Map<String, Long> opsets,
        List<Io> inputs,
        List<Io> outputs,
        List<OpCount> ops,
        long parameterCount,
        long parameterBytes) {

    public OnnxModelInfo {
        opsets = Collections.unmodifiableSortedMap(new TreeMap<>(opsets));
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        ops = List.copyOf(ops);
    }

    /** A graph input or output: its name and declared type as text, e.g. {@code i64[batch,sequence]}. */
    public record Io(String name, String type) {}

    /** How many nodes use an op, and whether fsc can import it at the model's opset. */
    public record OpCount(String op, int count, boolean supported) {}

    public static OnnxModelInfo read(Path modelFile) {
        String file = modelFile.getFileName().toString();
        ModelProto model =
                ProtoFiles.parse(modelFile, ModelProto.parser(), "model").message();
        if (!model.hasGraph()) {
            throw new FscException(file + ": not a valid ONNX model: it has no graph");
        }
        GraphProto g = model.getGraph();
        Opsets opsets = model.getOpsetImportCount() > 0 ? Opsets.of(model, file) : new Opsets(new TreeMap<>());
        Set<String> initNames = new HashSet<>();
        long count = 0;
        long bytes = 0;
        for (TensorProto t : g.getInitializerList()) {
            initNames.add(t.getName());
            long n = t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
            count += n;
            bytes += storedBytes(t, n);
        }
        List<Io> inputs = new ArrayList<>();
        for (ValueInfoProto in : g.getInputList()) {
            if (!initNames.contains(in.getName())) {
                inputs.add(new Io(in.getName(), typeText(in.getType())));
            }
        }
        List<Io> outputs = g.getOutputList().stream()
                .map(o -> new Io(o.getName(), typeText(o.getType())))
                .toList();
        return new OnnxModelInfo(
                file,
                model.getIrVersion(),
                model.getProducerName(),
                model.getProducerVersion(),
                opsets.versions(),
                inputs,
                outputs,
                histogram(g.getNodeList(), opsets),
                count,
                bytes);
    }

    private static List<OpCount> histogram(List<NodeProto> nodes, Opsets opsets) {
        TreeMap<String, Integer> counts = new TreeMap<>();
        TreeMap<String, Boolean> supported = new TreeMap<>();
        for (NodeProto n : nodes) {
            String domain = Opsets.normalize(n.getDomain());
            String key = domain.equals(Opsets.DEFAULT_DOMAIN) ? n.getOpType() : domain + ":" + n.getOpType();
            counts.merge(key, 1, Integer::sum);
            supported.put(
                    key,
                    OnnxOps.find(n.getDomain(), n.getOpType(), opsets.version(n.getDomain()))
                            .isPresent());
        }
        List<OpCount> out = new ArrayList<>();
        counts.forEach((op, c) -> out.add(new OpCount(op, c, supported.get(op))));
        out.sort(Comparator.comparingInt(OpCount::count).reversed().thenComparing(OpCount::op));
        return out;
    }

    /** Bytes the tensor's data takes: raw or external length, else its element count times element size. */
    private static long storedBytes(TensorProto t, long elements) {
        if (t.hasRawData()) {
            return t.getRawData().size();
        }
        for (StringStringEntryProto e : t.getExternalDataList()) {
            if (e.getKey().equals("length")) {
                try {
                    return Long.parseLong(e.getValue().strip());
                } catch (NumberFormatException ignored) {
                    // Fall through to the size the element type implies.
                }
            }
        }
        return OnnxDTypes.toIr(t.getDataType()).map(d -> d.bytesFor(elements)).orElse(0L);
    }

    /** {@code f32[batch,128]}; unknown element types keep their ONNX name, unknown dims print {@code ?}. */
    static String typeText(TypeProto type) {
        if (!type.hasTensorType()) {
            return InputTypes.kind(type);
        }
        TypeProto.Tensor t = type.getTensorType();
        String elem = OnnxDTypes.toIr(t.getElemType()).map(DType::irName).orElse(OnnxDTypes.name(t.getElemType()));
        return elem + (t.hasShape() ? InputTypes.show(t.getShape()) : "[?]");
    }

    /** A readable multi-line report. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(file).append('\n');
        sb.append("  ir_version ").append(irVersion);
        String producer = (producerName + " " + producerVersion).strip();
        if (!producer.isEmpty()) {
            sb.append(", produced by ").append(producer);
        }
        sb.append('\n');
        sb.append("  opsets: ");
        sb.append(String.join(
                ", ",
                opsets.entrySet().stream()
                        .map(e -> e.getKey() + " " + e.getValue())
                        .toList()));
        sb.append('\n');
        sb.append("  parameters: ")
                .append(String.format(Locale.ROOT, "%,d", parameterCount))
                .append(" (")
                .append(humanBytes(parameterBytes))
                .append(")\n");
        sb.append("inputs:\n");
        inputs.forEach(io ->
                sb.append("  ").append(io.name()).append(": ").append(io.type()).append('\n'));
        sb.append("outputs:\n");
        outputs.forEach(io ->
                sb.append("  ").append(io.name()).append(": ").append(io.type()).append('\n'));
        int total = ops.stream().mapToInt(OpCount::count).sum();
        sb.append("ops (").append(total).append(" nodes):\n");
        int width = ops.stream().mapToInt(o -> o.op().length()).max().orElse(0);
        for (OpCount o : ops) {
            sb.append(String.format(
                    Locale.ROOT,
                    "  %-" + width + "s %6d%s%n",
                    o.op(),
                    o.count(),
                    o.supported() ? "" : "  (unsupported)"));
        }
        return sb.toString();
    }

    private static String humanBytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
    }
}
