import { TracefsError, UnsupportedError } from '../errors.js'

/** What a refusal is expected to be: each field given is checked (strings match exactly, RegExps search). */
export interface RefusalExpectation {
  /** The tracefs file that refused, relative to the tracefs root (`kprobe_events`, `…/filter`). */
  file?: string | RegExp
  /** The errno the write failed with (`EINVAL`). */
  errno?: string
  /** The kernel's error_log message (`Field not found`). */
  message?: string | RegExp
  /** Where the kernel's caret points in the refused command (0-based). */
  caret?: number
  /** What was written. */
  value?: string | RegExp
}

export interface RefusalResult {
  pass: boolean
  /** The error, when it was a refusal. */
  refusal?: TracefsError
  /** What differed from the expectation, in words. */
  differences: string[]
  /** What the subject was when it was no refusal. */
  other?: string
}

const KEYS = ['file', 'errno', 'message', 'caret', 'value'] as const

/** A skip (unsupported declaration) is not a verdict on the refusal: it is handed back to vitest. */
function isSkip(e: unknown): boolean {
  return e instanceof UnsupportedError || (typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'VITEST_PENDING')
}

function matches(want: string | number | RegExp, got: string | number | undefined): boolean {
  if (got === undefined) return false
  return want instanceof RegExp ? want.test(String(got)) : want === got
}

/**
 * Whether `subject`, the rejection of `record()` (through `.rejects`), is the kernel's
 * refusal of a tracefs write as expected. A skip is thrown again, so an unsupported
 * declaration still skips the test with its reason instead of failing it.
 */
export function evaluateRefusal(subject: unknown, expected: RefusalExpectation = {}): RefusalResult {
  if (isSkip(subject)) throw subject
  for (const key of Object.keys(expected)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new TypeError(`toBeRefused(): unknown field ${JSON.stringify(key)}; expect any of ${KEYS.join(', ')}`)
  }
  if (!(subject instanceof TracefsError)) {
    const other = subject instanceof Error ? `${subject.name}: ${subject.message.split('\n')[0]}` : `${typeof subject} ${JSON.stringify(subject)}`
    return { pass: false, differences: [], other }
  }
  const got = { file: subject.path, errno: subject.code, message: subject.refusal?.message, caret: subject.refusal?.caret, value: subject.refusal?.value }
  const differences: string[] = []
  for (const key of KEYS) {
    const want = expected[key]
    if (want === undefined) continue
    if (!matches(want, got[key])) differences.push(`${key}: expected ${want instanceof RegExp ? String(want) : JSON.stringify(want)}, got ${got[key] === undefined ? '(none: the kernel logged no such thing)' : JSON.stringify(got[key])}`)
  }
  return { pass: differences.length === 0, refusal: subject, differences }
}

export function formatRefusal(expected: RefusalExpectation, r: RefusalResult, isNot: boolean): string {
  if (r.other !== undefined) return `expected the kernel to refuse a tracefs write${describe(expected)}, but the promise rejected with ${r.other}`
  const e = r.refusal!
  const said = e.refusal?.message ? `\nThe kernel said: ${e.refusal.message}${e.refusal.command !== undefined ? `\n  Command: ${e.refusal.command}${e.refusal.caret !== undefined ? `\n           ${' '.repeat(e.refusal.caret)}^` : ''}` : ''}` : ''
  if (isNot) return `expected no refusal${describe(expected)}, but ${e.path} refused ${JSON.stringify(e.refusal?.value)} (${e.code})${said}`
  return `expected the kernel's refusal to match${describe(expected)}:\n  ${r.differences.join('\n  ')}\n${e.path} refused ${JSON.stringify(e.refusal?.value)} (${e.code})${said}`
}

function describe(expected: RefusalExpectation): string {
  const parts = KEYS.filter((k) => expected[k] !== undefined).map((k) => `${k} ${expected[k] instanceof RegExp ? String(expected[k]) : JSON.stringify(expected[k])}`)
  return parts.length ? ` (${parts.join(', ')})` : ''
}
