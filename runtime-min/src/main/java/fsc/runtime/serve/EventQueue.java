package fsc.runtime.serve;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@link TokenSink} that hands events from the engine thread to the request's HTTP thread. */
final class EventQueue implements TokenSink {
    sealed interface Event {}

    record Token(int id) implements Event {}

    record End(String reason, String error) implements Event {}

    private final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();

    @Override
    public void token(int id) {
        queue.add(new Token(id));
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
