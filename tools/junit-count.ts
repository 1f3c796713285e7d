/**
 * Counts passed, failed and skipped test cases in Deno JUnit reports and
 * prints `N passed, N failed` (with `, N skipped` when any were skipped).
 * A missing or unreadable report (a run that did not finish) counts as one
 * failure. Exits 1 when anything failed.
 *
 * Usage: deno run --allow-read tools/junit-count.ts report.xml...
 *
 * @module
 */

let passed = 0;
let failed = 0;
let skipped = 0;
for (const path of Deno.args) {
  let xml: string;
  try {
    xml = Deno.readTextFileSync(path);
  } catch {
    console.error(`junit-count: no report at ${path} (the test run did not finish)`);
    failed++;
    continue;
  }
  // Each <testcase ...>...</testcase> or self-closed <testcase .../>.
  const cases = xml.match(/<testcase\b[^>]*?(\/>|>[\s\S]*?<\/testcase>)/g) ?? [];
  for (const c of cases) {
    if (/<(failure|error)\b/.test(c)) failed++;
    else if (/<skipped\b/.test(c)) skipped++;
    else passed++;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
Deno.exit(failed > 0 ? 1 : 0);
