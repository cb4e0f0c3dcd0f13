package fsc.cli;

import fsc.compiler.CompileCache;
import fsc.compiler.CompileProgress;
import fsc.compiler.CompileSettings;
import fsc.frontend.onnx.OnnxModelInfo;
import fsc.ir.FscException;
import fsc.runtime.ElemType;
import fsc.runtime.Tensor;
import fsc.runtime.io.TensorFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * First-shape specialisation for {@code fsc run model.onnx} (issue 14): a model that does not compile
 * for every input size (convolutions, pads or a past length over symbolic dims) is compiled for the
 * shapes of the inputs given, and, if that is not enough, with its integer scalar inputs (a sample
 * rate) bound to their values too, so a user never has to learn {@code --shape} or {@code --bind} for
 * a model ONNX Runtime runs as is. Each specialisation is a separate compile-cache entry (the cache
 * key holds the shapes and the bound files), announced in one line on stderr once it has worked.
 *
 * <p>Steps, each tried only when the one before failed with a user-facing error: the model as
 * declared; its inputs' shapes fixed; shapes fixed and scalar integer inputs bound. A cached jar of
 * a later step is used without retrying the earlier ones.
 */
final class RunSpecialisation {
    /** The jar to run, and the inputs it took as constants (they leave the jar's signature). */
    record Result(Path jar, List<String> boundInputs) {}

    private RunSpecialisation() {}

    static Result jarFor(
            CompileCache cache, Path model, Map<String, Path> inputs, CompileProgress progress, PrintStream notes) {
        if (inputs.isEmpty()) {
            return new Result(cache.jarFor(CompileSettings.builder(model, model).build(), progress), List.of());
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        inputs.forEach((name, file) -> tensors.put(name, TensorFiles.read(file)));
        CompileSettings declared = CompileSettings.builder(model, model)
                .bounds(boundsFromInputs(model, tensors))
                .build();
        Map<String, List<Long>> shapes = new TreeMap<>();
        tensors.forEach(
                (name, t) -> shapes.put(name, Arrays.stream(t.shape()).boxed().toList()));
        CompileSettings shaped =
                CompileSettings.builder(model, model).shapes(shapes).build();
        Map<String, Path> scalars = new TreeMap<>();
        tensors.forEach((name, t) -> {
            if (t.elementCount() == 1 && integer(t.type())) {
                scalars.put(name, inputs.get(name));
            }
        });
        CompileSettings bound = scalars.isEmpty()
                ? null
                : CompileSettings.builder(model, model)
                        .shapes(shapes)
                        .bindings(scalars)
                        .build();
        for (CompileSettings s : bound == null ? List.of(declared, shaped) : List.of(declared, shaped, bound)) {
            Optional<Path> hit = cache.cached(s);
            if (hit.isPresent()) {
                return new Result(
                        cache.jarFor(s, progress), List.copyOf(s.bindings().keySet()));
            }
        }
        try {
            return new Result(cache.jarFor(declared, progress), List.of());
        } catch (FscException first) {
            // A note says what a specialisation did, so it is printed only when one worked; when none
            // does, the last error is the one line the user gets.
            String shapedNote = "fsc: note: " + model.getFileName() + " does not compile for every input size ("
                    + firstLine(first) + "); compiled it for the given shapes " + describe(shapes);
            try {
                Result r = new Result(cache.jarFor(shaped, progress), List.of());
                notes.println(shapedNote);
                return r;
            } catch (FscException second) {
                if (bound == null) {
                    throw second;
                }
                Result r = new Result(cache.jarFor(bound, progress), new ArrayList<>(scalars.keySet()));
                notes.println(shapedNote);
                notes.println("fsc: note: compiled it for the given values of its scalar inputs too ("
                        + String.join(", ", scalars.keySet()) + "), after: " + firstLine(second));
                return r;
            }
        }
    }

    /**
     * Symbol bounds that fit the given inputs exactly: each symbolic axis of a declared ONNX input is
     * bounded by the size given for it (the largest, when one {@code dim_param} names several axes).
     * A model compiled as declared then runs inputs past the default bound (a 640-pixel image; the
     * default is 512), and its memory plan, sized at the bounds, is no larger than the call needs.
     */
    static Map<String, Long> boundsFromInputs(Path model, Map<String, Tensor> tensors) {
        Map<String, Long> bounds = new TreeMap<>();
        if (!model.getFileName().toString().endsWith(".onnx")) {
            return bounds;
        }
        OnnxModelInfo info;
        try {
            info = OnnxModelInfo.read(model);
        } catch (RuntimeException e) {
            return bounds; // the compile reports what is wrong with the file
        }
        for (OnnxModelInfo.Io io : info.inputs()) {
            Tensor t = tensors.get(io.name());
            int open = io.type().indexOf('[');
            if (t == null || open < 0 || !io.type().endsWith("]")) {
                continue;
            }
            String inside = io.type().substring(open + 1, io.type().length() - 1);
            String[] dims = inside.isEmpty() ? new String[0] : inside.split(",", -1);
            if (dims.length != t.shape().length) {
                continue;
            }
            for (int i = 0; i < dims.length; i++) {
                String d = dims[i].trim();
                if (!d.isEmpty() && !d.equals("?") && !d.chars().allMatch(Character::isDigit) && t.shape()[i] > 0) {
                    bounds.merge(d, t.shape()[i], Math::max);
                }
            }
        }
        return bounds;
    }

    private static boolean integer(ElemType t) {
        return switch (t) {
            case I64, I32, I16, I8, U8, U16, U32, U64, BOOL -> true;
            default -> false;
        };
    }

    private static String describe(Map<String, List<Long>> shapes) {
        return shapes.entrySet().stream()
                .map(e -> e.getKey() + "="
                        + (e.getValue().isEmpty()
                                ? "scalar"
                                : e.getValue().stream().map(String::valueOf).collect(Collectors.joining("x"))))
                .collect(Collectors.joining(" "));
    }

    private static String firstLine(FscException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
