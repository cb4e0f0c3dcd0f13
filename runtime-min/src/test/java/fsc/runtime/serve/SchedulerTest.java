package fsc.runtime.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.llm.SamplingParams;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Scheduler decisions on a simulated clock with the fake engine. */
class SchedulerTest {

    @Test
    void continuousBatchingMixesDecodeAndPrefillAndFreesEveryBlock() {
        Sim sim = new Sim(Sim.config(4, 64), 64, 16, 2, 0.05);
        sim.submit(1, 20, 10, Priority.BATCH);
        sim.step(); // prefill of request 1
        sim.submit(2, 30, 5, Priority.BATCH);
        sim.step();
        StepPlan mixed = sim.plans.get(1);
        assertEquals(1, mixed.decodeTokens(), "request 1 decodes while request 2 prefills");
        assertEquals(30, mixed.prefillTokens());
        sim.runToIdle(100);
        assertEquals(10, sim.sinks.get(1L).tokens.size());
        assertEquals(5, sim.sinks.get(2L).tokens.size());
        assertEquals("length", sim.sinks.get(1L).finished);
        assertEquals(0, sim.kv.usedBlocks(), "finished sequences return their blocks");
        assertEquals(0, sim.scheduler.activeCount());
    }

    @Test
    void promptsArePrefilledInChunksUnderTheTokenBudget() {
        Sim sim = new Sim(Sim.config(4, 32), 64, 16, 2, 0.05);
        sim.submit(1, 100, 3, Priority.BATCH);
        sim.runToIdle(100);
        List<Integer> sizes = sim.plans.stream().map(StepPlan::size).toList();
        assertEquals(List.of(32, 32, 32, 4, 1, 1), sizes);
        assertTrue(sim.plans.stream().allMatch(p -> p.size() <= 32));
        assertEquals(Sim.alone(Sim.prompt(100, 1), 3), sim.sinks.get(1L).tokens, "chunks attend to earlier chunks");
    }

    @Test
    void outputOfEachRequestIsTheSameAsWhenItRunsAlone() {
        Sim sim = new Sim(Sim.config(3, 48), 40, 16, 2, 0.05);
        for (int i = 1; i <= 8; i++) {
            sim.submit(i, 5 + 13 * i, 4 + 3 * i, i % 3 == 0 ? Priority.INTERACTIVE : Priority.BATCH);
        }
        sim.runToIdle(10_000);
        for (int i = 1; i <= 8; i++) {
            assertEquals(
                    Sim.alone(Sim.prompt(5 + 13 * i, i), 4 + 3 * i), sim.sinks.get((long) i).tokens, "request " + i);
        }
        assertEquals(0, sim.kv.usedBlocks());
    }

    @Test
    void aRunningInteractiveSequenceShrinksStepsToItsFrame() {
        // 2 ms + 0.5 ms/token; 20 ms TBT at 0.8 → 16 ms → at most 28 tokens a step.
        SchedulerConfig c = Sim.config(4, 256).withTbt(Priority.INTERACTIVE, 20);
        Sim sim = new Sim(c, 256, 16, 2, 0.5);
        sim.submit(1, 8, 16, Priority.INTERACTIVE);
        sim.step();
        sim.submit(2, 1000, 2, Priority.BATCH);
        sim.runToIdle(1000);
        var rec = sim.sinks.get(1L);
        for (int i = 1; i < rec.times.size(); i++) {
            double tbt = (rec.times.get(i) - rec.times.get(i - 1)) / 1e6;
            assertTrue(tbt <= 20, "interactive TBT " + tbt + " ms at token " + i);
        }
        long smallBatchChunks = sim.plans.stream()
                .filter(p -> p.size() <= 28 && p.prefillTokens() > 0)
                .count();
        assertTrue(smallBatchChunks > 10, "batch prefill went in frame-sized chunks: " + smallBatchChunks);
        // Once the interactive sequence ends, batch prefill takes the whole budget again.
        assertTrue(sim.plans.stream().anyMatch(p -> p.prefillTokens() > 28));
    }

    @Test
    void batchPrefillIsDeferredWhenTheFrameHoldsOnlyDecodeTokens() {
        // Fixed cost 12 ms of a 16 ms frame: 8 tokens fit; 8 interactive decoders fill them.
        SchedulerConfig c = Sim.config(9, 256).withTbt(Priority.INTERACTIVE, 20);
        Sim sim = new Sim(c, 256, 16, 12, 0.5);
        for (int i = 1; i <= 8; i++) {
            sim.submit(i, 4, 30, Priority.INTERACTIVE);
        }
        sim.step();
        sim.submit(100, 64, 4, Priority.BATCH);
        for (int i = 0; i < 10; i++) {
            sim.step();
        }
        assertTrue(sim.metrics.deferredCount(Priority.BATCH) >= 10);
        assertTrue(sim.sinks.get(100L).tokens.isEmpty());
        sim.runToIdle(1000);
        assertEquals(4, sim.sinks.get(100L).tokens.size(), "deferred, never dropped");
    }

    /**
     * The interactive prefill floor (one block a step however tight the frame) must still fit the
     * compiled step: 19 decode rows under an engine bound of 20 leave room for one prompt token, not
     * 16 (found by ServeSoakTest as "a step holds 1..128 tokens, got 135").
     */
    @Test
    void theInteractiveFloorStaysWithinTheStepsTokenBound() {
        Sim sim = new Sim(Sim.config(20, 64), 256, 16, 1, 0.01, 20);
        for (int i = 1; i <= 19; i++) {
            sim.submit(i, 1, 40, Priority.BATCH);
        }
        for (int i = 0; i < 4; i++) {
            sim.step();
        }
        sim.submit(100, 30, 4, Priority.INTERACTIVE);
        sim.runToIdle(2000);
        assertEquals(4, sim.sinks.get(100L).tokens.size());
        for (StepPlan p : sim.plans) {
            assertTrue(p.size() <= 20, "a step of " + p.size() + " tokens for a bound of 20");
        }
    }

    @Test
    void admissionRejectsAFullQueueADrainingServerAndRequestsThatCanNeverFit() {
        Sim sim = new Sim(Sim.config(1, 64).withQueue(2), 8, 16, 1, 0.01);
        assertInstanceOf(Admission.Accepted.class, sim.submit(1, 10, 10, Priority.BATCH));
        assertInstanceOf(Admission.Accepted.class, sim.submit(2, 10, 10, Priority.BATCH));
        var full = assertInstanceOf(Admission.Rejected.class, sim.submit(3, 10, 10, Priority.BATCH));
        assertEquals(429, full.status());
        assertTrue(full.retryAfterSeconds() >= 1);
        // The bound is per class: a full batch queue does not turn interactive requests away.
        assertInstanceOf(Admission.Accepted.class, sim.submit(6, 10, 10, Priority.INTERACTIVE));
        var huge = assertInstanceOf(Admission.Rejected.class, sim.submit(4, 200, 10, Priority.INTERACTIVE));
        assertEquals(400, huge.status(), huge.reason());
        sim.scheduler.drain();
        assertEquals(
                503,
                assertInstanceOf(Admission.Rejected.class, sim.submit(5, 4, 4, Priority.BATCH))
                        .status());
        sim.runToIdle(1000);
        assertEquals(1, sim.metrics.rejectedCount(Priority.BATCH, 429));
        assertEquals(1, sim.metrics.rejectedCount(Priority.BATCH, 503));
        assertEquals("length", sim.sinks.get(2L).finished, "accepted before draining, so it completes");
    }

    @Test
    void admissionRejectsWhenThePredictedTtftExceedsTheBudget() {
        // 10 ms + 1 ms/token, budget 64: a 64-token prefill step costs 74 ms.
        SchedulerConfig c = Sim.config(16, 64).withTtft(Priority.INTERACTIVE, 250);
        Sim sim = new Sim(c, 1024, 16, 10, 1);
        assertInstanceOf(Admission.Accepted.class, sim.submit(1, 128, 4, Priority.INTERACTIVE)); // 2 steps: 148 ms
        assertInstanceOf(Admission.Accepted.class, sim.submit(2, 64, 4, Priority.INTERACTIVE)); // 3 steps: 222 ms
        var late = assertInstanceOf(Admission.Rejected.class, sim.submit(3, 64, 4, Priority.INTERACTIVE));
        assertEquals(429, late.status());
        assertTrue(late.reason().contains("predicted time to first token"), late.reason());
        // Batch has a 60 s budget: it queues behind.
        assertInstanceOf(Admission.Accepted.class, sim.submit(4, 64, 4, Priority.BATCH));
        // With admission control off, only the queue bound applies.
        Sim open = new Sim(c.withAdmissionControl(false), 1024, 16, 10, 1);
        for (int i = 1; i <= 5; i++) {
            assertInstanceOf(Admission.Accepted.class, open.submit(i, 128, 4, Priority.INTERACTIVE));
        }
    }

    @Test
    void anIdleServerAdmitsAgainAfterAColdStartTaughtItASteepSlope() {
        // Issue 17's lockout: the first steps of a fresh JVM (a 100-token prefill in 1.2 s while
        // the JIT warms up) and then ~1 ms decode steps of 1..8 rows leave a line of about
        // 0 ms + 12 ms/token. A full 256-token step then predicts over 3 s, every interactive
        // request was refused, no step ran, so the line never changed: locked out while idle.
        SchedulerConfig c = Sim.config(8, 256).withTtft(Priority.INTERACTIVE, 1000);
        Sim sim = new Sim(c, 1024, 16, 2, 0.2);
        CostModel cost = sim.scheduler.cost();
        cost.observe(100, 1200);
        for (int i = 0; i < 140; i++) {
            cost.observe(1 + i % 8, 1.0);
        }
        assertTrue(cost.predictMs(256) > 1000, "the stale line: " + cost.predictMs(256));
        assertTrue(sim.scheduler.idle());
        // A short prompt costs one short step, and the idle engine admits it whatever the line says.
        assertTrue(sim.scheduler.predictTtftMs(request(1, 16), Priority.INTERACTIVE) < 1000);
        assertInstanceOf(Admission.Accepted.class, sim.submit(1, 200, 4, Priority.INTERACTIVE));
        // While work is queued the (stale) prediction still guards the budget...
        var late = assertInstanceOf(Admission.Rejected.class, sim.submit(2, 200, 4, Priority.INTERACTIVE));
        assertEquals(429, late.status(), late.reason());
        // ...and the steps that run teach the model the real cost, so admission recovers.
        sim.runToIdle(1000);
        for (int i = 0; i < 200 && cost.predictMs(256) > 500; i++) {
            assertInstanceOf(Admission.Accepted.class, sim.submit(10 + i, 200, 4, Priority.INTERACTIVE));
            sim.runToIdle(1000);
        }
        assertTrue(cost.predictMs(256) < 500, "the line relearned from real steps: " + cost.predictMs(256));
        assertInstanceOf(Admission.Accepted.class, sim.submit(1000, 200, 4, Priority.INTERACTIVE));
        assertInstanceOf(Admission.Accepted.class, sim.submit(1001, 200, 4, Priority.INTERACTIVE));
    }

    private static CompletionRequest request(long id, int promptLength) {
        return new CompletionRequest(
                id, Sim.prompt(promptLength, (int) id), 4, Priority.INTERACTIVE, 0, 0, SamplingParams.greedy());
    }

    @Test
    void runningOutOfBlocksPreemptsBatchNeverInteractive() {
        // Two interactive sequences need 16 blocks of the 18; four batch ones need 40.
        Sim sim = new Sim(Sim.config(6, 64), 18, 4, 1, 0.01);
        for (int i = 1; i <= 4; i++) {
            sim.submit(i, 8, 24, Priority.BATCH);
        }
        for (int i = 0; i < 5; i++) {
            sim.step();
        }
        sim.submit(10, 8, 24, Priority.INTERACTIVE);
        sim.submit(11, 8, 24, Priority.INTERACTIVE);
        sim.runToIdle(10_000);
        assertTrue(sim.metrics.preemptedCount(Priority.BATCH) > 0);
        assertEquals(0, sim.metrics.preemptedCount(Priority.INTERACTIVE), "an interactive sequence is never preempted");
        for (long id : List.of(1L, 2L, 3L, 4L, 10L, 11L)) {
            assertEquals(Sim.alone(Sim.prompt(8, (int) id), 24), sim.sinks.get(id).tokens, "request " + id);
            assertEquals(1, sim.sinks.get(id).ends);
        }
        assertEquals(0, sim.kv.usedBlocks());
    }

    @Test
    void aWaitingInteractiveRequestTakesTheSlotOfTheNewestBatchSequence() {
        Sim sim = new Sim(Sim.config(2, 64), 64, 16, 1, 0.01);
        sim.submit(1, 8, 50, Priority.BATCH);
        sim.submit(2, 8, 50, Priority.BATCH);
        sim.step();
        sim.submit(3, 8, 5, Priority.INTERACTIVE);
        sim.step();
        assertEquals(1, sim.metrics.preemptedCount(Priority.BATCH));
        assertEquals(1, sim.scheduler.runningCount(Priority.INTERACTIVE));
        assertEquals(1, sim.sinks.get(3L).tokens.size(), "interactive prefill ran in the very next step");
        sim.runToIdle(10_000);
        assertEquals(50, sim.sinks.get(2L).tokens.size());
    }

    @Test
    void cancellingFreesBlocksAndEndsTheRequestOnce() {
        Sim sim = new Sim(Sim.config(4, 64), 64, 16, 1, 0.01);
        sim.submit(1, 40, 100, Priority.INTERACTIVE);
        sim.submit(2, 10, 100, Priority.BATCH);
        sim.step();
        sim.step();
        assertTrue(sim.kv.usedBlocks() > 0);
        sim.scheduler.cancel(1);
        sim.scheduler.cancel(2);
        sim.scheduler.cancel(99); // unknown: ignored
        assertNull(sim.scheduler.plan(sim.now));
        assertEquals(0, sim.kv.usedBlocks());
        assertEquals("cancelled", sim.sinks.get(1L).finished);
        assertEquals(1, sim.sinks.get(2L).ends);
        assertEquals(1, sim.metrics.endedCount(Priority.INTERACTIVE, "cancelled"));
    }

    @Test
    void cancellingAWaitingRequestEndsIt() {
        Sim sim = new Sim(Sim.config(1, 64), 64, 16, 1, 0.01);
        sim.submit(1, 10, 10, Priority.BATCH);
        sim.submit(2, 10, 10, Priority.BATCH);
        sim.step();
        sim.scheduler.cancel(2);
        sim.runToIdle(100);
        assertEquals("cancelled", sim.sinks.get(2L).finished);
        assertTrue(sim.sinks.get(2L).tokens.isEmpty());
        assertEquals(10, sim.sinks.get(1L).tokens.size());
    }

    @Test
    void aCommonPromptPrefixSharesBlocks() {
        Sim sim = new Sim(Sim.config(4, 128), 64, 16, 1, 0.01);
        int[] system = Sim.prompt(48, 5);
        int[] a = concat(system, new int[] {3, 4, 5});
        int[] b = concat(system, new int[] {7, 8});
        sim.submit(1, a, 6, Priority.BATCH);
        sim.step();
        sim.submit(2, b, 6, Priority.BATCH);
        sim.step();
        assertEquals(2, sim.plans.get(1).prefillTokens(), "48 prompt tokens (3 blocks) came from the cache");
        assertTrue(sim.kv.prefixHitRate() >= 0.5, "hit rate " + sim.kv.prefixHitRate());
        sim.runToIdle(100);
        assertEquals(Sim.alone(a, 6), sim.sinks.get(1L).tokens);
        assertEquals(Sim.alone(b, 6), sim.sinks.get(2L).tokens);
        assertEquals(0, sim.kv.usedBlocks());
        assertTrue(sim.kv.cachedBlocks() > 0, "the prefix stays cached for later requests");
        // A later identical prompt reuses the cached blocks.
        sim.submit(3, a, 6, Priority.BATCH);
        sim.step();
        assertEquals(3, sim.plans.getLast().prefillTokens());
        sim.runToIdle(100);
        assertEquals(Sim.alone(a, 6), sim.sinks.get(3L).tokens);
    }

    @Test
    void continuousBatchingNeedsFarFewerStepsThanStaticBatchesOnMixedLengths() {
        int[] outputs = {8, 200, 12, 180, 16, 150, 10, 220, 9, 170, 14, 190, 11, 210, 13, 160};
        double[] time = new double[2];
        for (int mode = 0; mode < 2; mode++) {
            Sim sim = new Sim(Sim.config(8, 256).withContinuous(mode == 1), 1024, 16, 10, 0.1);
            for (int i = 0; i < outputs.length; i++) {
                sim.submit(i + 1, 16, outputs[i], Priority.BATCH);
            }
            sim.runToIdle(100_000);
            for (int i = 0; i < outputs.length; i++) {
                assertEquals(outputs[i], sim.sinks.get(i + 1L).tokens.size());
            }
            time[mode] = sim.now / 1e6;
        }
        assertTrue(time[0] > 1.5 * time[1], "static " + time[0] + " ms vs continuous " + time[1] + " ms");
    }

    @Test
    void theEndOfSequenceTokenStopsARequestUnlessItAsksToIgnoreIt() {
        int[] prompt = Sim.prompt(10, 5);
        int first = Sim.alone(prompt, 1).getFirst();
        for (boolean ignore : new boolean[] {false, true}) {
            Sim sim = new Sim(Sim.config(2, 64), 64, 16, 1, 0.01);
            sim.scheduler.setEos(first);
            Sim.Recorder rec = new Sim.Recorder(sim);
            sim.scheduler.submit(
                    new CompletionRequest(1, prompt, 6, Priority.BATCH, 0, 0, SamplingParams.greedy(), ignore),
                    rec,
                    sim.now);
            sim.runToIdle(100);
            assertEquals(ignore ? 6 : 1, rec.tokens.size());
            assertEquals(ignore ? "length" : "stop", rec.finished);
            assertEquals(0, sim.kv.usedBlocks());
        }
    }

    @Test
    void paddedStaticBatchesKeepTheirShapeUntilTheLongestRequestEnds() {
        Sim sim = new Sim(Sim.config(3, 64).withBatching(Batching.STATIC_PADDED), 64, 16, 1, 0.1);
        int[][] prompts = {Sim.prompt(5, 1), Sim.prompt(7, 2), Sim.prompt(6, 3)};
        int[] outputs = {3, 12, 6};
        for (int i = 0; i < 3; i++) {
            sim.submit(i + 1, prompts[i], outputs[i], Priority.BATCH);
        }
        sim.submit(4, 4, 4, Priority.BATCH); // waits for the next batch
        sim.runToIdle(1000);
        for (int i = 0; i < 3; i++) {
            // Padding rows repeat a real row and are dropped: every output is what it is alone.
            assertEquals(Sim.alone(prompts[i], outputs[i]), sim.sinks.get(i + 1L).tokens);
        }
        assertEquals(4, sim.sinks.get(4L).tokens.size());
        List<StepPlan> firstBatch = sim.plans.stream()
                .takeWhile(p -> p.chunks().stream().noneMatch(c -> c.requestId() == 4))
                .toList();
        for (StepPlan p : firstBatch) {
            if (p.prefillTokens() == 0) {
                assertEquals(3, p.size(), "decode steps of the first batch hold 3 rows, padding included");
            }
        }
        assertTrue(firstBatch.stream().anyMatch(p -> p.paddingRows() == 2), "after two of three ended");
        assertEquals(0, sim.kv.usedBlocks());
    }

    @Test
    void anEngineFailureEndsEveryRequestInTheStepWithAnError() {
        Sim sim = new Sim(Sim.config(4, 64), 64, 16, 1, 0.01);
        sim.submit(1, 10, 10, Priority.BATCH);
        sim.submit(2, 10, 10, Priority.BATCH);
        StepPlan plan = sim.scheduler.plan(sim.now);
        sim.scheduler.failStep(plan, "engine failed: boom", sim.now);
        assertEquals("engine failed: boom", sim.sinks.get(1L).failed);
        assertEquals("engine failed: boom", sim.sinks.get(2L).failed);
        assertEquals(0, sim.kv.usedBlocks());
        assertNull(sim.scheduler.plan(sim.now));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
