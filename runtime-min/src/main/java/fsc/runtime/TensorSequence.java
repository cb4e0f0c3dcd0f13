package fsc.runtime;

import java.util.List;

/**
 * A sequence value (ONNX {@code seq(tensor)}): a run-time list of tensors of one element type, each
 * with its own shape. Immutable: sequence ops build new lists, so a model may hand out and keep the
 * same one (the elements' bytes are never written after the sequence holds them).
 */
public record TensorSequence(ElemType type, List<Tensor> elements) {
    public TensorSequence {
        elements = List.copyOf(elements);
        for (Tensor t : elements) {
            if (t.type() != type) {
                throw new RuntimeFailure("a sequence of " + type.shortName() + " cannot hold "
                        + t.type().shortName() + t.shapeString());
            }
        }
    }

    public int size() {
        return elements.size();
    }

    public Tensor get(int i) {
        return elements.get(i);
    }

    @Override
    public String toString() {
        return "seq<" + type.shortName() + ">"
                + elements.stream().map(Tensor::shapeString).toList();
    }
}
