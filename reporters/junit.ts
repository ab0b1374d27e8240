import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import junit, { type Builder, type TestCase as JUnitCase } from 'junit-report-builder'
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node'
import type { KspecMeta } from '../src/fixtures/meta.js'

/** One testcase as the report needs it, kept as JSON so runs on several kernels merge. */
interface CaseRecord {
  name: string
  classname: string
  seconds: number
  state: 'passed' | 'failed' | 'skipped'
  message?: string
  type?: string
  details?: string
  out: string[]
}

interface SuiteRecord {
  name: string
  file: string
  kernel: string
  properties: Record<string, string>
  cases: CaseRecord[]
}

const strip = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '')

export interface JUnitOptions {
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
  constructor(options: JUnitOptions = {}) {
    this.#out = resolve(options.outputFile ?? process.env.KSPEC_JUNIT_FILE ?? 'kspec-junit.xml')
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const kernel = process.env.KSPEC_KERNEL_LABEL ?? 'host'
    const suites = modules.map((m) => suiteOf(m, kernel))
    // Runs on several kernels write their parts side by side; each write rebuilds the whole report.
    const parts = process.env.KSPEC_JUNIT_PARTS ?? join(tmpdir(), `kspec-junit-${process.pid}`)
    mkdirSync(parts, { recursive: true })
    writeFileSync(join(parts, `${kernel.replace(/[^\w.-]+/g, '_')}.json`), JSON.stringify(suites))
    const all: SuiteRecord[] = readdirSync(parts).sort().flatMap((f) => JSON.parse(readFileSync(join(parts, f), 'utf8')))
    mkdirSync(dirname(this.#out), { recursive: true })
    writeFileSync(this.#out, buildXml(all))
  }
}

const PAYLOAD = /<!-- kspec-suites:([A-Za-z0-9+/=]+) -->/

/**
 * Joins the JUnit files of several CI jobs (`--shard i/n`) into one. Each file kspec
 * writes carries its suites as a comment, so nothing is lost to XML round-tripping.
 * @example mergeReports(['shard-1.xml', 'shard-2.xml'])
 */
export function mergeReports(files: string[]): string {
  const suites = files.flatMap((f) => {
    const m = PAYLOAD.exec(readFileSync(f, 'utf8'))
    if (!m) throw new Error(`${f}: not a JUnit file written by kspec (no kspec-suites payload); merge it with a general JUnit merger`)
    return JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) as SuiteRecord[]
  })
  return buildXml(suites)
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

/** The report's XML; exported so merges and tests build it the same way. */
export function buildXml(suites: SuiteRecord[]): string {
  // The package is CommonJS with a default export: under Node's ESM loader it arrives wrapped.
  const root = ((junit as unknown as { default?: Builder }).default ?? junit) as unknown as Builder
  const b = root.newBuilder()
  b.name('kspec')
  for (const s of suites) {
    const suite = b.testSuite().name(s.name)
    for (const [k, v] of Object.entries(s.properties)) suite.property(k, v)
    suite.time(s.cases.reduce((n, c) => n + c.seconds, 0))
    for (const c of s.cases) {
      const tc = suite.testCase().name(c.name).className(c.classname).time(c.seconds).file(s.file)
      if (c.state === 'failed') tc.failure(c.message, c.type).stacktrace(c.details)
      if (c.state === 'skipped') skippedWithMessage(tc, c.message ?? 'skipped')
      if (c.out.length) tc.standardOutput(c.out.join('\n'))
    }
  }
  return `${b.build()}\n<!-- kspec-suites:${Buffer.from(JSON.stringify(suites)).toString('base64')} -->\n`
}

/** junit-report-builder writes a bare <skipped/>; CI systems show its message attribute. */
function skippedWithMessage(tc: JUnitCase, message: string): void {
  tc.skipped()
  const build = tc.build.bind(tc)
  tc.build = (parent: Parameters<JUnitCase['build']>[0]) => {
    const el = build(parent)
    const skipped = (el as unknown as { children: { name?: string; att(k: string, v: string): void }[] }).children.find((c) => c.name === 'skipped')
    skipped?.att('message', message)
    return el
  }
}
