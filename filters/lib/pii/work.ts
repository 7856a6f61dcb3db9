// A count of the scan's steps, for proving linear time without a clock: every loop of the scan
// whose trip count depends on the text (positions, digit runs, bytes read by a matcher, 64-byte
// blocks, findings, sort comparisons) adds its iterations here. Time per step is bounded by a
// constant, so work(4n) ≤ c·work(n) on an input family is its linearity, checked exactly and
// the same on a busy machine as on an idle one (host-tests/pii-linear.test.ts).
//
// Counting costs nothing in the filter: `tick` compiles to nothing unless the entry declares
// the global PII_COUNT_WORK (only the test entries filters/testing/pii-work and pii-regex do), so
// the filter's build is the same code minus the counter (checked: its wasm writes the same
// globals as a build with the counter line deleted).

/** Steps since the last resetWork (only counted in a build that declares PII_COUNT_WORK). */
export let workCount: u64 = 0;

// @ts-ignore: decorator
@inline export function tick(steps: i32): void {
  // @ts-ignore: PII_COUNT_WORK is declared (@global) by the counting entry only
  if (isDefined(PII_COUNT_WORK)) workCount += <u64><u32>steps;
}

export function resetWork(): void {
  workCount = 0;
}
