// Prints one plain closing line, "N passed, N failed, N skipped", after jest's own summary,
// so a CI log can be read at a glance (and by tools that look for that line).
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `\n${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
