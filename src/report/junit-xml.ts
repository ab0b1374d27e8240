import { readFileSync } from 'node:fs'
import junit, { type Builder, type TestCase as JUnitCase } from 'junit-report-builder'

/** One testcase as the report needs it, kept as JSON so runs on several kernels merge. */
export interface CaseRecord {
  name: string
  classname: string
  seconds: number
  state: 'passed' | 'failed' | 'skipped'
  message?: string
  type?: string
  details?: string
  out: string[]
}

export interface SuiteRecord {
  name: string
  file: string
  kernel: string
  properties: Record<string, string>
  cases: CaseRecord[]
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
