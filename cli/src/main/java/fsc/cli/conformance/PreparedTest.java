package fsc.cli.conformance;

import fsc.backend.java.InMemoryModels;
import java.util.List;
import java.util.Map;

/**
 * A test that compiled as far as generated sources: what javac needs, what the model is fed
 * (the inputs that were not bound to constants, by name) and what it must return.
 *
 * @param bound the inputs the runner bound to constants because shapes depend on them
 */
record PreparedTest(
        NodeTestCase test,
        InMemoryModels.Generated generated,
        Map<String, Object> feeds,
        List<TensorValues> expected,
        List<String> bound) {}
