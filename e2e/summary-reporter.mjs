// Prints the plain closing line of the end-to-end run, after every other reporter:
//   N passed, N failed            (", N skipped" follows when a story was skipped)
// A story that passed only on its retry (CI) counts as passed and is named on the line
// before as flaky. If the run itself failed (the server did not start, the global timeout,
// an interrupt, no story matched), the stories that did not pass count as failed, at least
// one, so the line never reads "0 failed" for a failed run. Playwright's own exit code is
// non-zero in all those cases.

export default class SummaryReporter {
  onBegin(config, suite) {
    this.suite = suite;
  }

  onEnd(result) {
    this.status = result.status;
  }

  // onExit runs after every reporter's onEnd, so this line comes last.
  onExit() {
    const tests = this.suite ? this.suite.allTests() : [];
    let passed = 0, failed = 0, skipped = 0;
    const flaky = [];
    for (const test of tests) {
      const outcome = test.outcome();
      if (outcome === "expected" || outcome === "flaky") passed++;
      else if (outcome === "unexpected") failed++;
      else if (test.results.length > 0 || this.status === "passed") skipped++; // test.skip()
      else failed++; // never ran: the run was cut short
      if (outcome === "flaky") flaky.push(test.title);
    }
    if (this.status !== "passed" && failed === 0) failed = Math.max(1, tests.length - passed - skipped);
    if (flaky.length) console.log(`flaky (passed on retry): ${flaky.join(", ")}`);
    console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  }

  printsToStdio() {
    return true;
  }
}
