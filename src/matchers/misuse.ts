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

const UNITS: Record<string, number> = { ns: 0.001, us: 1, µs: 1, ms: 1000, s: 1_000_000 }

/**
 * A time budget in microseconds, from `'200us'`, `'1.5ms'`, `'2s'`, `'500ns'`.
 * @example parseDuration('1.5ms') // 1500
 */
export function parseDuration(text: unknown, matcher: string): number {
  const m = typeof text === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\s*$/.exec(text) : null
  if (!m) {
    throw new TypeError(
      `expect(trace).${matcher}(): malformed duration ${JSON.stringify(text) ?? String(text)}: write a number with a unit, e.g. '200us', '1.5ms', '2s' or '500ns'.`,
    )
  }
  return Number(m[1]) * UNITS[m[2]]
}

/** Prints microseconds the way function_graph does, scaled for reading. */
export function formatDuration(us: number): string {
  if (us >= 1_000_000) return `${+(us / 1_000_000).toFixed(3)} s`
  if (us >= 1000) return `${+(us / 1000).toFixed(3)} ms`
  return `${+us.toFixed(3)} us`
}
