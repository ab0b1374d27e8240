import { Trace } from '../trace/trace.js'

/** Misuse is a TypeError that names the fix, never a failed assertion. */
export function assertTrace(subject: unknown, matcher: string): Trace {
  if (subject instanceof Trace) return subject
  const got = subject === null ? 'null' : Array.isArray(subject) ? 'an array' : typeof subject === 'object' ? (subject.constructor?.name ?? 'object') : typeof subject
  throw new TypeError(
    `expect(trace).${matcher}(): the subject is not a Trace (got ${got}). ` +
      `Pass the Trace that record(...) or loadTrace(file) returns${typeof (subject as Promise<unknown>)?.then === 'function' ? ' — did you forget to await it?' : ''}.`,
  )
}

export function assertName(name: unknown, matcher: string, what = 'function name'): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new TypeError(`expect(trace).${matcher}(): expected a non-empty ${what}, got ${JSON.stringify(name) ?? String(name)}.`)
  }
  return name
}

export function assertCount(n: unknown, matcher: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new TypeError(`expect(trace).${matcher}(): expected a count that is a whole number ≥ 0, got ${JSON.stringify(n) ?? String(n)}.`)
  }
  return n
}
