package fsc.passes.golden;

import fsc.ir.Graph;
import fsc.ir.text.IrParser;
import fsc.ir.text.IrPrinter;
import fsc.passes.InterpreterCheck;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.PassRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * One golden pass-test file: a {@code // RUN: fold,cse} line naming the pipeline, then cases split
 * by {@code // -----}, each an input graph with {@code // CHECK:} lines about the printed result.
 * Running a case parses its graph (errors point at the file's own lines), runs the pipeline with
 * the reference interpreter comparing every pass's result with the input on random inputs, prints
 * the result and matches the checks.
 */
record GoldenFile(String name, String pipeline, List<Case> cases) {

    static final String SEPARATOR = "// -----";

    /** One case: its input (earlier cases blanked, so line numbers are the file's) and its checks. */
    record Case(int index, int firstLine, int lastLine, String input, FileCheck checks) {}

    static GoldenFile parse(String name, String text) {
        List<String> lines = text.lines().toList();
        String pipeline = null;
        List<Case> cases = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= lines.size(); i++) {
            boolean end = i == lines.size() || lines.get(i).strip().equals(SEPARATOR);
            if (i < lines.size() && lines.get(i).strip().startsWith("// RUN:")) {
                pipeline = lines.get(i).strip().substring("// RUN:".length()).strip();
            }
            if (!end) {
                continue;
            }
            StringBuilder input = new StringBuilder();
            List<FileCheck.Check> checks = new ArrayList<>();
            for (int j = 0; j < lines.size(); j++) {
                boolean mine = j >= start && j < i;
                FileCheck.Check c = mine ? FileCheck.parse(lines.get(j), j + 1) : null;
                if (c != null) {
                    checks.add(c);
                }
                input.append(mine && c == null ? lines.get(j) : "").append('\n');
            }
            if (input.toString().contains("graph @")) {
                cases.add(new Case(cases.size() + 1, start + 1, i, input.toString(), new FileCheck(checks)));
            }
            start = i + 1;
        }
        if (pipeline == null) {
            throw new IllegalArgumentException(name + ": no // RUN: line");
        }
        return new GoldenFile(name, pipeline, cases);
    }

    /** The printed result of running the pipeline on the case's input, checked by the interpreter. */
    String run(Case c) {
        Graph in = IrParser.parse(c.input(), name);
        PassManager pm = PassManager.builder()
                .afterEachPass(InterpreterCheck.randomInputs(in, c.index(), 1e-4))
                .build();
        Graph out =
                pm.run(in, PassRegistry.parse(pipeline), PassContext.defaults()).graph();
        return IrPrinter.print(out);
    }

    /** Null when the case's checks hold, else the failure, located in this file. */
    String check(Case c, String output) {
        if (c.checks().checks().isEmpty()) {
            return name + ": case " + c.index() + " (lines " + c.firstLine() + "-" + c.lastLine()
                    + ") has no CHECK lines";
        }
        String failure = c.checks().match(output);
        return failure == null ? null : name + ":" + failure + "\n--- output of case " + c.index() + ":\n" + output;
    }

    /**
     * The file with every case's checks replaced by the full result as {@code CHECK}/{@code
     * CHECK-NEXT} lines (the header comment left out), for review before committing.
     */
    String regenerate(String text, List<String> outputs) {
        List<String> lines = text.lines().toList();
        StringBuilder b = new StringBuilder();
        int caseIndex = 0;
        for (int i = 0; i <= lines.size(); i++) {
            boolean end = i == lines.size() || lines.get(i).strip().equals(SEPARATOR);
            if (end && caseIndex < cases.size() && cases.get(caseIndex).lastLine() == i) {
                boolean first = true;
                for (String l : outputs.get(caseIndex).lines().toList()) {
                    if (l.startsWith("// fsc IR")) {
                        continue;
                    }
                    b.append(first ? "// CHECK: " : "// CHECK-NEXT: ")
                            .append(l.strip())
                            .append('\n');
                    first = false;
                }
                caseIndex++;
            }
            if (i < lines.size() && FileCheck.parse(lines.get(i), i + 1) == null) {
                b.append(lines.get(i)).append('\n');
            }
        }
        return b.toString();
    }
}
