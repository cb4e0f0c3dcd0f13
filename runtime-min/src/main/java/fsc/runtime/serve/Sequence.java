package fsc.runtime.serve;

import fsc.runtime.llm.Sampler;
import java.util.Arrays;

/** Scheduler state of one accepted request. Package-private: only the scheduler mutates it. */
final class Sequence {
    final CompletionRequest request;
    final TokenSink sink;
    final Sampler sampler;
    final long arrivalNanos;
    /** Prompt then generated tokens; after a preemption the whole of it is prefilled again. */
    int[] tokens;

    int length;
    /** Positions whose keys are in the cache. */
    int computed;
    /** Leading positions a speculative step's draft model has in its own cache (0 after a preemption). */
    int draftComputed;

    int generated;
    int slot = -1;
    long admittedNanos = -1;
    long firstTokenNanos = -1;
    long lastTokenNanos = -1;
    int preemptions;
    /** The step in which it was last preempted: it is not restarted in that same step. */
    long preemptedAtStep = -1;

    boolean cancelled;
    /** The outcome a cancelled sequence ends with: "cancelled", or "stop" for a stop sequence. */
    String endReason = "cancelled";

    Sequence(CompletionRequest request, TokenSink sink, long arrivalNanos) {
        this.request = request;
        this.sink = sink;
        this.sampler = new Sampler(request.sampling());
        this.arrivalNanos = arrivalNanos;
        this.tokens = Arrays.copyOf(request.prompt(), request.promptLength() + request.maxTokens());
        this.length = request.promptLength();
    }

    Priority priority() {
        return request.priority();
    }

    long id() {
        return request.id();
    }

    /** Tokens still to run before the next token can be sampled (1 while decoding). */
    int pending() {
        return length - computed;
    }

    boolean running() {
        return slot >= 0;
    }

    int[] content() {
        return Arrays.copyOf(tokens, length);
    }

    void push(int token) {
        tokens[length++] = token;
        generated++;
    }
}
