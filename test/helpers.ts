import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { loadTrace } from '../src/parse/load.js'
import type { Trace } from '../src/trace/trace.js'

/** The real captures shared by the project (../shared/traces). */
export const SHARED = fileURLToPath(new URL('../../shared/traces/', import.meta.url))
/** Captures this repository adds (test/fixtures). */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url))

export const shared = (path: string): Promise<Trace> => loadTrace(join(SHARED, path))
export const fixture = (path: string): Promise<Trace> => loadTrace(join(FIXTURES, path))

/** Failure message of a throwing assertion, colour codes stripped, with the trace path made stable. */
export function failure(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    return strip((e as Error).message)
  }
  throw new Error('expected the assertion to fail')
}

export const strip = (s: string): string =>
  s.replace(/\x1b\[[0-9;]*m/g, '').replaceAll(SHARED, '<shared>/').replaceAll(FIXTURES, '<fixtures>/')

/** A fresh folder under the system's temporary one, removed when the test ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
