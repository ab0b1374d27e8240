import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { Reporter, TestCase, TestModule, TestSuite, Vitest } from 'vitest/node'
import type { SettingsInput } from '../config/settings.js'
import type { KspecMeta } from './meta.js'
// The XML itself is built by kspec's compiled code, which merge-reports shares.
import { buildXml, type CaseRecord, type SuiteRecord } from './junit-xml.js'

const strip = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '')

export interface JUnitOptions {
  /** Where the XML goes (default kspec-junit.xml). */
  outputFile?: string
}

/**
 * JUnit XML for Jenkins, GitLab and GitHub: one <testsuite> per spec file per kernel, the
 * kernel and what was traced as <properties>, skips with their reason, failures with the
 * matcher's message and trace excerpt, the saved trace as an attachment. Spec files that
 * fail to load and failed hooks become failing testcases, so nothing disappears.
 */
export default class JUnitReporter implements Reporter {
  readonly #out: string
  #settings: SettingsInput | undefined
  constructor(options: JUnitOptions = {}) {
    this.#out = resolve(options.outputFile ?? 'kspec-junit.xml')
  }

  /** The kernel's label and the run's parts folder come with the settings kspec provides to the workers. */
  onInit(vitest: Vitest): void {
    this.#settings = vitest.getRootProject().getProvidedContext().kspec
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const kernel = this.#settings?.kernelLabel ?? 'host'
    const suites = modules.map((m) => suiteOf(m, kernel))
    // `kspec run` on several kernels: each run writes its part beside the others' (in a
    // folder kspec removes at the end) and rebuilds the whole report from them.
    const parts = this.#settings?.junitParts
    let all: SuiteRecord[] = suites
    if (parts !== undefined) {
      mkdirSync(parts, { recursive: true })
      writeFileSync(join(parts, `${kernel.replace(/[^\w.-]+/g, '_')}.json`), JSON.stringify(suites))
      all = readdirSync(parts).sort().flatMap((f) => JSON.parse(readFileSync(join(parts, f), 'utf8')))
    }
    mkdirSync(dirname(this.#out), { recursive: true })
    writeFileSync(this.#out, buildXml(all))
  }
}

function suiteOf(m: TestModule, kernel: string): SuiteRecord {
  const cases: CaseRecord[] = []
  const metas: KspecMeta[] = []
  for (const error of m.errors()) {
    cases.push({ name: '(spec file failed to load)', classname: m.relativeModuleId, seconds: 0, state: 'failed', message: strip(error.message ?? String(error)), type: error.name ?? 'Error', details: strip(error.stack ?? ''), out: [] })
  }
  for (const suite of m.children.allSuites()) {
    for (const error of suite.errors()) {
      cases.push({ name: `(hook of ${suite.fullName})`, classname: m.relativeModuleId, seconds: 0, state: 'failed', message: strip(error.message ?? ''), type: error.name ?? 'Error', details: strip(error.stack ?? ''), out: [] })
    }
  }
  for (const test of m.children.allTests()) {
    const meta = test.meta().kspec
    if (meta) metas.push(meta)
    cases.push(caseOf(test, m, meta))
  }
  const union = (pick: (k: KspecMeta) => string[]) => [...new Set(metas.flatMap(pick))].join(' ')
  const first = metas.find((x) => x.release)
  const properties: Record<string, string> = { kernel, 'kernel.release': first?.release ?? (kernel.startsWith('host ') ? kernel.slice(5) : ''), target: first?.target ?? (kernel.startsWith('host') ? 'host' : 'qemu') }
  if (properties.target.startsWith('qemu')) properties.vm = 'qemu'
  const tracers = union((k) => k.tracers)
  const events = union((k) => k.events)
  if (tracers) properties.tracers = tracers
  if (events) properties.events = events
  return { name: `${m.relativeModuleId} [${kernel}]`, file: m.relativeModuleId, kernel, properties, cases }
}

function caseOf(test: TestCase, m: TestModule, meta: KspecMeta | undefined): CaseRecord {
  const classname = [m.relativeModuleId, ...parents(test)].join(' › ')
  const r = test.result()
  const seconds = (test.diagnostic()?.duration ?? 0) / 1000
  const out = (meta?.traces ?? []).flatMap((t) => [`trace: ${t}`, `[[ATTACHMENT|${t}]]`])
  if (meta?.artifacts) out.push(`artifacts: ${meta.artifacts}`)
  if (r.state === 'skipped') return { name: test.name, classname, seconds, state: 'skipped', message: r.note ?? (test.options.mode === 'todo' ? 'todo' : 'skipped'), out }
  if (r.state === 'failed') {
    const e = r.errors?.[0]
    const verdict = meta?.broken ? 'broken: ' : meta?.incomplete ? 'incomplete: ' : ''
    return { name: test.name, classname, seconds, state: 'failed', message: verdict + strip(e?.message ?? 'failed'), type: e?.name ?? 'AssertionError', details: strip([e?.message, e?.stack?.split('\n').filter((l) => l.includes(' at ')).join('\n')].filter(Boolean).join('\n\n')), out }
  }
  return { name: test.name, classname, seconds, state: 'passed', out }
}

function parents(test: TestCase): string[] {
  const names: string[] = []
  for (let p: TestCase['parent'] | TestSuite['parent'] = test.parent; p && p.type === 'suite'; p = p.parent) names.unshift(p.name)
  return names
}
