import type { Reporter, SerializedError, TestCase, TestModule, TestSuite, Vitest } from 'vitest/node'
import type { SettingsInput } from '../config/settings.js'
import type { KspecMeta } from './meta.js'

const strip = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '')

/** A KTAP test name: one line, and no `#` (which starts a directive). */
const nameOf = (s: string): string => strip(s).replace(/\s*\n\s*/g, ' ').replace(/#/g, '＃').trim() || '(unnamed)'

/** Diagnostic lines at an indentation: `# …`, one per line of text. */
const diagnostics = (text: string, indent: string): string[] =>
  strip(text)
    .split('\n')
    .map((l) => `${indent}# ${l}`.trimEnd())

export interface KtapOptions {
  /** Where the document goes (default: standard output). */
  write?: (text: string) => void
}

/**
 * KTAP version 1, as KUnit and `ftracetest -K` print it, so a kernel CI that reads KTAP
 * reads kspec: one subtest per spec file (its own plan, results numbered from 1), skips
 * as `# SKIP <reason>`, failures with their message as diagnostic lines before the result,
 * and ftracetest's `# Totals:` line at the end. It owns standard output: `kspec run`
 * prints nothing else there when it is chosen.
 */
export default class KtapReporter implements Reporter {
  readonly #write: (text: string) => void
  #kernel: string | undefined

  constructor(options: KtapOptions = {}) {
    this.#write = options.write ?? ((text) => process.stdout.write(text))
  }

  onInit(vitest: Vitest): void {
    this.#kernel = (vitest.getRootProject().getProvidedContext().kspec as SettingsInput | undefined)?.kernelLabel
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
    const totals = { pass: 0, fail: 0, skip: 0, error: unhandledErrors.length }
    const out = ['KTAP version 1']
    if (this.#kernel) out.push(`# kernel: ${this.#kernel}`)
    out.push(`1..${modules.length}`)
    modules.forEach((mod, i) => {
      const tests = [...mod.children.allTests()]
      const sub = '    '
      out.push(`${sub}KTAP version 1`, `${sub}# Subtest: ${nameOf(mod.relativeModuleId)}`, `${sub}1..${tests.length}`)
      let failed = false
      const loadErrors = mod.errors()
      for (const e of loadErrors) out.push(...diagnostics(`the file failed: ${e.message ?? String(e)}`, sub))
      const failedHooks = new Set<unknown>()
      for (const suite of mod.children.allSuites()) {
        if (suite.errors().length) failedHooks.add(suite)
        for (const e of suite.errors()) out.push(...diagnostics(`a hook of ${suite.fullName} failed: ${e.message ?? ''}`, sub))
      }
      const underFailedHook = (test: TestCase): boolean => {
        for (let p: TestCase['parent'] | TestSuite['parent'] = test.parent; p && p.type === 'suite'; p = p.parent) if (failedHooks.has(p)) return true
        return false
      }
      tests.forEach((test, k) => {
        const r = test.result()
        const name = nameOf(test.fullName)
        if (r.state === 'passed') {
          totals.pass++
          out.push(`${sub}ok ${k + 1} ${name}`)
        } else if (r.state === 'skipped' && underFailedHook(test)) {
          // vitest skips the tests of a suite whose beforeAll failed: they did not pass, they never ran.
          totals.fail++
          failed = true
          out.push(`${sub}# did not run: a hook of its suite failed`, `${sub}not ok ${k + 1} ${name}`)
        } else if (r.state === 'skipped') {
          totals.skip++
          const reason = r.note ?? (test.options.mode === 'todo' ? 'todo' : 'skipped')
          out.push(`${sub}ok ${k + 1} ${name} # SKIP ${nameOf(reason)}`)
        } else {
          // failed, or pending: never finished (its worker ended under it).
          totals.fail++
          failed = true
          const meta: KspecMeta | undefined = test.meta().kspec
          const verdict = meta?.broken ? 'broken: ' : meta?.incomplete ? 'incomplete: ' : ''
          const message = r.state === 'failed' ? (r.errors ?? []).map((e) => e.message ?? String(e)).join('\n') || 'failed' : 'did not finish (its worker ended under it)'
          out.push(...diagnostics(verdict + message, sub))
          for (const t of meta?.traces ?? []) out.push(`${sub}# trace: ${t}`)
          if (meta?.artifacts) out.push(`${sub}# artifacts: ${meta.artifacts}`)
          out.push(`${sub}not ok ${k + 1} ${name}`)
        }
      })
      const skippedAll = tests.length > 0 && tests.every((t) => t.result().state === 'skipped')
      const ok = !failed && loadErrors.length === 0 && [...mod.children.allSuites()].every((s) => s.errors().length === 0)
      if (!ok && tests.length === 0) totals.fail++
      out.push(`${ok ? 'ok' : 'not ok'} ${i + 1} ${nameOf(mod.relativeModuleId)}${ok && skippedAll ? ' # SKIP every test skipped' : ''}`)
    })
    for (const e of unhandledErrors) out.push(...diagnostics(`failed outside any test: ${e.message ?? String(e)}`, ''))
    out.push(`# Totals: pass:${totals.pass} fail:${totals.fail} xfail:0 xpass:0 skip:${totals.skip} error:${totals.error}`)
    this.#write(out.join('\n') + '\n')
  }
}

