// kspec's closing summary (N passed, N failed, N skipped, every skip's reason), by path or
// as `kspec/reporters/summary` in a vitest config's reporters: its code is
// src/report/summary-reporter.ts, built into dist/.
export { default } from '../dist/report/summary-reporter.js'
