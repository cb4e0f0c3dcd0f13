package fsc.runtime;

/**
 * One dimension of a model input or output: a fixed size, or a symbol (such as {@code S}) with the
 * upper bound the memory plan was sized for.
 */
public record DimSpec(String symbol, long value) {
    public DimSpec {
        if (value < 0) {
            throw new IllegalArgumentException("negative dimension " + value);
        }
    }

    public static DimSpec fixed(long size) {
        return new DimSpec(null, size);
    }

    public static DimSpec symbol(String name, long max) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a symbolic dimension needs a name");
        }
        return new DimSpec(name, max);
    }

    public boolean isSymbolic() {
        return symbol != null;
    }

    @Override
    public String toString() {
        return symbol == null ? Long.toString(value) : symbol + "<=" + value;
    }
}
