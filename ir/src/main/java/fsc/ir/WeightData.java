package fsc.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The bytes of one named weight, little-endian, in the layout of {@code dtype} (row-major; packed
 * blocks for quantized types). The buffer may be a view into a mapped model file: it is never copied
 * unless a pass computes a new weight.
 */
public record WeightData(DType dtype, List<Long> dims, ByteBuffer bytes) {

    public WeightData {
        dims = List.copyOf(dims);
        bytes = bytes.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long elements = dims.stream().mapToLong(Long::longValue).reduce(1, Math::multiplyExact);
        long expected = dtype.isString() ? bytes.remaining() : dtype.bytesFor(elements);
        if (dtype.isString() && StringData.count(bytes.duplicate()) != elements) {
            throw new IllegalArgumentException("weight string" + dims + " needs " + elements + " strings, got "
                    + StringData.count(bytes.duplicate()));
        }
        if (bytes.remaining() != expected) {
            throw new IllegalArgumentException(
                    "weight " + dtype.irName() + dims + " needs " + expected + " bytes, got " + bytes.remaining());
        }
    }

    public TensorType type() {
        return TensorType.of(dtype, dims.stream().mapToLong(Long::longValue).toArray());
    }

    public long elementCount() {
        return dims.stream().mapToLong(Long::longValue).reduce(1, Math::multiplyExact);
    }

    /** A fresh little-endian read-only view positioned at the start. */
    public ByteBuffer view() {
        return bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }
}
