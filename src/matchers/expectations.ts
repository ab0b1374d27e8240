import type { EventRecord, FieldValue } from '../trace/records.js'

/** A field expectation: a value, a RegExp, a predicate, or an asymmetric matcher. */
export type FieldExpectation = FieldValue | RegExp | ((value: FieldValue) => boolean) | { asymmetricMatch(v: unknown): boolean }

export type FieldsExpectation = Record<string, FieldExpectation>

/**
 * Partial match of an event's fields. Numbers, bigints and numeric strings compare by
 * value, so `{ next_pid: 0 }` matches whether or not a `format` typed the field.
 */
export function fieldsMatch(event: EventRecord, expected: FieldsExpectation | undefined): boolean {
  if (expected === undefined) return true
  const actual = event.fields
  for (const key of Object.keys(expected)) {
    if (!(key in actual) || !valueMatches(actual[key], expected[key])) return false
  }
  return true
}

export function valueMatches(actual: FieldValue, expected: FieldExpectation): boolean {
  if (expected instanceof RegExp) return expected.test(String(actual))
  if (typeof expected === 'function') return Boolean(expected(actual))
  if (typeof expected === 'object' && expected !== null && 'asymmetricMatch' in expected) return expected.asymmetricMatch(actual)
  if (actual === expected) return true
  const a = numeric(actual)
  const e = numeric(expected)
  return a !== undefined && e !== undefined && a === e
}

function numeric(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : undefined
  if (typeof v === 'string' && /^-?(\d+|0x[0-9a-fA-F]+)$/.test(v)) return v.startsWith('-') ? -BigInt(v.slice(1)) : BigInt(v)
  return undefined
}

/** How many of the expected fields an event matches: to rank the nearest candidates. */
export function matchScore(event: EventRecord, expected: FieldsExpectation | undefined): number {
  if (!expected) return 0
  let n = 0
  for (const key of Object.keys(expected)) if (key in event.fields && valueMatches(event.fields[key], expected[key])) n++
  return n
}

/** Expected fields for printing: predicates and matchers by name. */
export function showExpected(expected: FieldsExpectation | undefined): string {
  if (!expected) return ''
  const parts = Object.entries(expected).map(([k, v]) => `${k}: ${show(v)}`)
  return `{ ${parts.join(', ')} }`
}

function show(v: FieldExpectation): string {
  if (v instanceof RegExp) return String(v)
  if (typeof v === 'function') return `[predicate ${v.name || 'anonymous'}]`
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'object' && v !== null) return String((v as { toString(): string }).toString?.() ?? 'matcher')
  return JSON.stringify(v)
}

export function showFields(event: EventRecord): string {
  const parts = Object.entries(event.fields).map(([k, v]) => `${k}: ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)}`)
  return `{ ${parts.join(', ')} }`
}
