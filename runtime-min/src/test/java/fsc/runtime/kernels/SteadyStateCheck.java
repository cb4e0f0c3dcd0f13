package fsc.runtime.kernels;

import fsc.runtime.AllocationWindows;
import java.lang.foreign.Arena;
import java.util.List;

/**
 * A kernel's steady state allocates at most {@link #LIMIT} bytes per 100 calls: {@link
 * AllocationWindows} in this JVM and, when this JVM's code shape allocates, in a fresh one, whose
 * call is built by {@code owner.factory(String arg, Arena arena)}.
 */
final class SteadyStateCheck {
    static final long LIMIT = 1024;
    private static final int WARM_CALLS = 2000;

    private SteadyStateCheck() {}

    /** Fails unless {@code call} allocates at most {@link #LIMIT} here or in a fresh JVM running {@code owner.factory(arg)}'s. */
    static void assertSteady(String label, Runnable call, Class<?> owner, String factory, String arg) throws Exception {
        AllocationWindows.assertSteady(
                label,
                AllocationWindows.measure(call, WARM_CALLS, LIMIT),
                LIMIT,
                () -> AllocationWindows.inFreshJvm(SteadyStateCheck.class, List.of(owner.getName(), factory, arg)));
    }

    /** {@code OWNER FACTORY ARG}: prints the windows of {@code OWNER.FACTORY(ARG, arena)}'s calls. */
    public static void main(String[] args) throws ReflectiveOperationException {
        Class<?> owner = Class.forName(args[0]);
        var factory = owner.getDeclaredMethod(args[1], String.class, Arena.class);
        factory.setAccessible(true);
        try (Arena arena = Arena.ofConfined()) {
            Runnable call = (Runnable) factory.invoke(null, args[2], arena);
            AllocationWindows.print(AllocationWindows.measure(call, WARM_CALLS, LIMIT));
        }
    }
}
