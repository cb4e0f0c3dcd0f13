package fsc.ir.interp;

import fsc.ir.Container;
import java.util.List;

/**
 * What a sequence or optional value holds in the interpreter ({@link HostTensor#held()}): a sequence's
 * elements in order, or an optional's one value (a tensor, or a sequence as a container {@link
 * HostTensor}) or none. Immutable, like the IR's values.
 */
public record HostContainer(Container kind, List<HostTensor> elements) {
    public HostContainer {
        elements = List.copyOf(elements);
        if (kind == Container.TENSOR) {
            throw new IllegalArgumentException("a tensor is not a container");
        }
        if (kind.isOptional() && elements.size() > 1) {
            throw new IllegalArgumentException("an optional holds at most one value, got " + elements.size());
        }
    }
}
