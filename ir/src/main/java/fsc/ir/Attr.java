package fsc.ir;

import java.util.List;
import java.util.stream.Collectors;

/** Node attributes. Sealed so every consumer handles every kind. */
public sealed interface Attr {
    record Int(long value) implements Attr {
        @Override
        public String toString() {
            return Long.toString(value);
        }
    }

    record Float(double value) implements Attr {
        @Override
        public String toString() {
            return Double.toString(value);
        }
    }

    record Str(String value) implements Attr {
        @Override
        public String toString() {
            return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        }
    }

    record Ints(List<Long> values) implements Attr {
        public Ints {
            values = List.copyOf(values);
        }

        public long[] toArray() {
            return values.stream().mapToLong(Long::longValue).toArray();
        }

        @Override
        public String toString() {
            return values.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
        }
    }

    record Floats(List<Double> values) implements Attr {
        public Floats {
            values = List.copyOf(values);
        }

        @Override
        public String toString() {
            return values.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
        }
    }

    /** A list of strings, e.g. StringNormalizer's stopwords or LabelEncoder's keys. */
    record Strs(List<String> values) implements Attr {
        public Strs {
            values = List.copyOf(values);
        }

        @Override
        public String toString() {
            return values.stream().map(v -> new Str(v).toString()).collect(Collectors.joining(", ", "strings[", "]"));
        }
    }

    /** Dimensions that may be symbolic, e.g. slice ends {@code [S]} once shape arithmetic is folded. */
    record Dims(List<Dim> values) implements Attr {
        public Dims {
            values = List.copyOf(values);
        }

        @Override
        public String toString() {
            return values.stream().map(Dim::toString).collect(Collectors.joining(", ", "<", ">"));
        }
    }

    record Type(DType value) implements Attr {
        @Override
        public String toString() {
            return value.irName();
        }
    }

    static Attr of(long v) {
        return new Int(v);
    }

    static Attr of(double v) {
        return new Float(v);
    }

    static Attr of(String v) {
        return new Str(v);
    }

    static Attr ints(long... v) {
        return new Ints(java.util.Arrays.stream(v).boxed().toList());
    }
}
