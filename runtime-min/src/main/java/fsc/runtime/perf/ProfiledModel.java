package fsc.runtime.perf;

/**
 * A compiled model that can time its node calls: generated model classes implement it, and {@code
 * fsc profile} reads what each slot is from the jar's {@code fsc/nodes.json} ({@link NodeTable}).
 */
public interface ProfiledModel {
    /** The jar entry naming each slot's node, op, FLOPs and bytes. */
    String NODES_ENTRY = "fsc/nodes.json";

    /** How many slots a {@link NodeProfile} for this model needs. */
    int profileSlots();

    /**
     * Times every later call into {@code profile} (null turns profiling off).
     *
     * @throws IllegalArgumentException when {@code profile} has not {@link #profileSlots()} slots
     */
    void profileWith(NodeProfile profile);
}
