package fsc.runtime.serve;

/**
 * What {@code fsc serve} is given.
 *
 * @param kvMemoryBytes KV cache budget; 0 = enough for every slot at the full context
 * @param maxRunning sequences run at once; 0 = what the model was compiled for
 * @param maxContext positions per sequence; 0 = the compiled maximum
 */
public record ServeOptions(
        String host,
        int port,
        int maxQueue,
        long kvMemoryBytes,
        int stepTokenBudget,
        double tbtBudgetMs,
        double ttftBudgetMs,
        int maxRunning,
        int maxContext,
        Batching batching,
        boolean admissionControl) {

    public static ServeOptions defaults() {
        return new ServeOptions("127.0.0.1", 8080, 256, 0, 256, 50, 1000, 0, 0, Batching.CONTINUOUS, true);
    }

    public ServeOptions withPort(int p) {
        return new ServeOptions(
                host,
                p,
                maxQueue,
                kvMemoryBytes,
                stepTokenBudget,
                tbtBudgetMs,
                ttftBudgetMs,
                maxRunning,
                maxContext,
                batching,
                admissionControl);
    }

    public ServeOptions withKvMemory(long bytes) {
        return new ServeOptions(
                host,
                port,
                maxQueue,
                bytes,
                stepTokenBudget,
                tbtBudgetMs,
                ttftBudgetMs,
                maxRunning,
                maxContext,
                batching,
                admissionControl);
    }
}
