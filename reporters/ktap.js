// kspec's KTAP reporter (KTAP version 1, as KUnit and ftracetest -K print it), by path or
// as `kspec/reporters/ktap` in a vitest config's reporters: its code is
// src/report/ktap-reporter.ts, built into dist/.
export { default } from '../dist/report/ktap-reporter.js'
