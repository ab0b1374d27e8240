/**
 * The public entry, `import … from 'kspec'`: what spec files and tools built on kspec use.
 * Every name here is pinned by test/api.test.ts, so a change to it is a decision. kspec's
 * matchers are installed into vitest's `expect` when this module is imported.
 */
import { installMatchers } from './matchers/index.js'

installMatchers()

// Writing specs.
export { describe, expect, beforeAll, afterAll, beforeEach, afterEach } from 'vitest'
export { test, it, type KspecFixtures, type RecordFn, type RecordCallOptions } from './fixtures/index.js'
export { defineTrace, type TraceDeclaration, type TraceInput } from './spec/declaration.js'
export { eprobe, fprobe, fretprobe, kprobe, kretprobe, tprobe, uprobe, uretprobe, type Probe } from './spec/probes.js'
export { libcPath } from './spec/libs.js'
export { defineConfig, type KspecConfig, type KspecConfigInput } from './config/schema.js'
export type { Workload, WorkloadContext, RecordedTrace } from './tracefs/recording.js'
export type { WorkloadResult, Background, BackgroundPolicy } from './kernel/target.js'
export type { Features } from './tracefs/features.js'

// Reading traces, recorded or saved.
export { loadTrace, parseTraceText, type LoadOptions } from './parse/load.js'
export { Trace, type Loss, type TraceHeader } from './trace/trace.js'
export type * from './trace/records.js'
export { UNKNOWN_FUNCTION } from './trace/records.js'
export type { TraceMatchers, FieldExpectation, FieldsExpectation, CallChain, CallTreeSnapshotOptions } from './matchers/index.js'
export type { RefusalExpectation } from './matchers/toBeRefused.js'

// What kspec throws, to tell its failures apart.
export {
  BrokenKernelError,
  DeclarationError,
  IncompleteTraceError,
  LeakError,
  TargetError,
  TraceFileError,
  TracefsError,
  TracefsUnavailableError,
  UnsupportedError,
  WorkloadTimeoutError,
} from './errors.js'
