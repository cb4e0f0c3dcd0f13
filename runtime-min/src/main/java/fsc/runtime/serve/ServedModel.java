package fsc.runtime.serve;

import fsc.runtime.serve.chat.ChatTemplate;

/**
 * One model a server serves, under the id clients name in {@code model}: a decoder with its own
 * engine thread, KV pool and queues, or an encoder. Each has its own {@link Metrics}, rendered with
 * a {@code model_name} label.
 */
public sealed interface ServedModel permits ServedModel.Generator, ServedModel.Encoder {
    String id();

    Metrics metrics();

    /** Seconds since the epoch when it was loaded ({@code created} in {@code /v1/models}). */
    long createdSeconds();

    /** Requests not yet ended. */
    int active();

    /**
     * Stops taking requests, lets accepted ones finish for up to {@code graceMillis}, ends what is
     * left with an error event, and frees the model's memory.
     */
    void shutdown(long graceMillis);

    /**
     * A decoder: {@code /v1/completions} and {@code /v1/chat/completions}.
     *
     * @param release frees what the engine ran on (KV storage, the compiled model when owned)
     */
    record Generator(
            String id,
            ServeEngine engine,
            TextModel text,
            ChatTemplate chat,
            ServeServer.Limits limits,
            int kvBlockSize,
            long createdSeconds,
            Runnable release)
            implements ServedModel {
        @Override
        public Metrics metrics() {
            return engine.metrics();
        }

        @Override
        public int active() {
            return engine.active();
        }

        @Override
        public void shutdown(long graceMillis) {
            engine.drain();
            long end = System.nanoTime() + graceMillis * 1_000_000;
            while (engine.active() > 0 && System.nanoTime() < end) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            engine.close();
            release.run();
        }
    }

    /** A sentence encoder: {@code /v1/embeddings}. */
    record Encoder(
            String id,
            Embedder embedder,
            Metrics metrics,
            ServeServer.Limits limits,
            long createdSeconds,
            Runnable release)
            implements ServedModel {
        @Override
        public int active() {
            return 0;
        }

        @Override
        public void shutdown(long graceMillis) {
            release.run();
        }
    }
}
