package fsc.compiler;

import fsc.ir.Graph;
import fsc.passes.PipelineResult;
import java.nio.file.Path;

/** What a compile produced: the jar, the final graph, the pipeline's timings and a one-line summary. */
public record CompileResult(Path jar, Graph graph, PipelineResult pipeline, String summary) {
    /** {@code --time-passes}: each pass's time and node count change. */
    public String passReport() {
        return pipeline.timingReport();
    }
}
