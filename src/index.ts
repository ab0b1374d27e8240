import { installMatchers } from './matchers/index.js'

installMatchers()

export { describe, expect, test, it, beforeAll, afterAll, beforeEach, afterEach } from 'vitest'
export { loadTrace, parseTraceText, type LoadOptions } from './parse/load.js'
export { parseFormat, type EventFormat, type FieldFormat } from './parse/format.js'
export { Trace, type Loss, type TraceHeader } from './trace/trace.js'
export { observeCalls, type CallEvidence, type ObservedCall } from './trace/calls.js'
export { installMatchers, type TraceMatchers, type FieldExpectation, type FieldsExpectation, CallChain } from './matchers/index.js'
export type * from './trace/records.js'
