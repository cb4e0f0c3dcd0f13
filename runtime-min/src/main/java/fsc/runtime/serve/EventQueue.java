package fsc.runtime.serve;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@link TokenSink} that hands events from the engine thread to the request's HTTP thread. */
final class EventQueue implements TokenSink {
    sealed interface Event {}

    /** @param logprobs null unless the request asked for them */
    record Token(int id, TokenLogprobs logprobs) implements Event {}

    record End(String reason, String error) implements Event {}

    private final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();
    private final int topLogprobs;

    EventQueue() {
        this(-1);
    }

    /** @param topLogprobs alternatives per token to report, or -1 for no logprobs */
    EventQueue(int topLogprobs) {
        this.topLogprobs = topLogprobs;
    }

    @Override
    public int topLogprobs() {
        return topLogprobs;
    }

    @Override
    public void token(int id) {
        queue.add(new Token(id, null));
    }

    @Override
    public void token(int id, TokenLogprobs logprobs) {
        queue.add(new Token(id, logprobs));
    }

    @Override
    public void finished(String reason) {
        queue.add(new End(reason, null));
    }

    @Override
    public void failed(String message) {
        queue.add(new End(null, message));
    }

    /** The next event, or null after {@code millis} without one. */
    Event poll(long millis) throws InterruptedException {
        return queue.poll(millis, TimeUnit.MILLISECONDS);
    }
}
