// kspec's JUnit reporter, by path or as `kspec/reporters/junit` in a vitest config's
// reporters: its code is src/report/junit-reporter.ts, built into dist/.
export { default } from '../dist/report/junit-reporter.js'
