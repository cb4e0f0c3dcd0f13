package fsc.ir;

/** A graph constant: an SSA value whose contents are the weight named {@code weight} in the graph's {@link Weights}. */
public record Constant(Value value, String weight) {}
