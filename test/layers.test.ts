import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'

/**
 * docs/DESIGN.md's layer table, as rules a test can hold the code to (Playwright keeps a
 * DEPS list the same way): for each layer, the kspec files and folders it may import, and
 * the packages. `node:` built-ins are open to all. The first rule whose layer holds a file
 * applies to it, so the narrower entries come first.
 */
export const DEPS: { layer: string; may: string[]; packages: string[] }[] = [
  { layer: 'src/errors.ts', may: [], packages: [] },
  { layer: 'src/tempdir.ts', may: [], packages: [] },
  { layer: 'src/text.ts', may: [], packages: [] },
  { layer: 'src/spec/', may: ['src/errors.ts', 'src/text.ts'], packages: ['zod'] },
  { layer: 'src/trace/', may: ['src/errors.ts', 'src/text.ts'], packages: [] },
  { layer: 'src/parse/', may: ['src/trace/', 'src/errors.ts', 'src/text.ts'], packages: [] },
  { layer: 'src/kernel/', may: ['src/errors.ts', 'src/tempdir.ts', 'src/text.ts'], packages: ['execa'] },
  // tracefs knows the target interface, never which target it runs on.
  { layer: 'src/tracefs/', may: ['src/kernel/target.ts', 'src/spec/', 'src/parse/', 'src/trace/', 'src/errors.ts', 'src/tempdir.ts', 'src/text.ts'], packages: [] },
  { layer: 'src/matchers/', may: ['src/trace/', 'src/errors.ts', 'src/text.ts'], packages: ['vitest'] },
  // vitest: the settings' type in vitest's ProvidedContext (a declaration, no code).
  { layer: 'src/config/', may: ['src/errors.ts', 'src/text.ts'], packages: ['zod', 'vite', 'vitest'] },
  // Reporters run in vitest's main process: they read what the fixtures left in task meta, and the provided settings.
  { layer: 'src/report/', may: ['src/config/settings.ts'], packages: ['junit-report-builder', 'vitest'] },
  { layer: 'src/fixtures/', may: ['src/report/meta.ts', 'src/config/', 'src/kernel/', 'src/tracefs/', 'src/parse/', 'src/spec/', 'src/trace/', 'src/errors.ts', 'src/tempdir.ts', 'src/text.ts'], packages: ['vitest'] },
  { layer: 'src/cli/', may: ['src/'], packages: ['vitest', 'vite', 'kspec'] },
  // The public entry gathers what users import; the command line is not part of it.
  { layer: 'src/index.ts', may: ['src/'], packages: ['vitest'] },
  // The run's VM broker lives in vitest's main process, which is where the plugin runs;
  // the workers it starts load traces, with the environment parsing asks for.
  { layer: 'src/vitest.ts', may: ['src/config/', 'src/kernel/qemu/broker.ts', 'src/parse/huge-pages.ts'], packages: ['vitest', 'vite'] },
  // The paths a vitest config names: the built reporters.
  { layer: 'reporters/', may: ['dist/report/'], packages: [] },
  // Examples users copy: the public entry only.
  { layer: 'specs/', may: [], packages: ['kspec', 'vitest'] },
]

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function sources(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, e.name)
    if (e.isDirectory()) out.push(...sources(path))
    else if (/\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** Every import, export-from and dynamic import of a file, as written. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName)
}

/** The breaches of DEPS by one file (a path relative to the project), in words. */
export function violations(file: string, text: string): string[] {
  const rule = DEPS.find((d) => (d.layer.endsWith('/') ? file.startsWith(d.layer) : file === d.layer))
  if (!rule) return [`${file}: in no layer of DEPS; add it to docs/DESIGN.md's table and to DEPS`]
  const out: string[] = []
  for (const spec of importsOf(text)) {
    if (spec.startsWith('node:')) continue
    if (spec.startsWith('.')) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/^(?!dist\/)(.*)\.js$/, '$1.ts')
      const own = rule.layer.endsWith('/') && target.startsWith(rule.layer)
      if (own || rule.may.some((m) => (m.endsWith('/') ? target.startsWith(m) : target === m))) continue
      out.push(`${file} imports ${target}, which ${rule.layer} may not (it may import ${rule.may.join(', ') || 'nothing of kspec'})`)
    } else {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]
      if (!rule.packages.includes(pkg)) out.push(`${file} imports the package ${spec}, which ${rule.layer} may not (it may import ${rule.packages.join(', ') || 'no package'})`)
    }
  }
  return out
}

describe('layers', () => {
  const files = [...sources('src'), ...sources('reporters'), ...sources('specs')]

  test('every import follows docs/DESIGN.md', () => {
    expect(files.length).toBeGreaterThan(80)
    expect(files.flatMap((f) => violations(f, readFileSync(join(ROOT, f), 'utf8')))).toEqual([])
  })

  test('a wrong import is caught: tracefs reaching a target, a matcher helper, the parser reaching tracefs', () => {
    expect(violations('src/tracefs/recording.ts', "import { pidAlive } from '../kernel/host.js'")).toEqual([
      'src/tracefs/recording.ts imports src/kernel/host.ts, which src/tracefs/ may not (it may import src/kernel/target.ts, src/spec/, src/parse/, src/trace/, src/errors.ts, src/tempdir.ts, src/text.ts)',
    ])
    expect(violations('src/config/schema.ts', "import { nearest } from '../matchers/layout.js'")).toHaveLength(1)
    expect(violations('src/parse/parser.ts', "export { x } from '../tracefs/arm.js'")).toHaveLength(1)
    expect(violations('src/trace/trace.ts', "const m = await import('../kernel/host.js')")).toHaveLength(1)
    expect(violations('src/trace/trace.ts', "import type { Target } from '../kernel/target.js'")).toHaveLength(1)
    expect(violations('specs/x.spec.ts', "import { Recorder } from '../src/tracefs/recorder.js'")).toHaveLength(1)
    expect(violations('src/kernel/host.ts', "import { z } from 'zod'")).toEqual(['src/kernel/host.ts imports the package zod, which src/kernel/ may not (it may import execa)'])
    expect(violations('src/new/thing.ts', '')).toEqual(["src/new/thing.ts: in no layer of DEPS; add it to docs/DESIGN.md's table and to DEPS"])
  })

  test("DEPS and docs/DESIGN.md's layer table name the same layers", () => {
    const design = readFileSync(join(ROOT, 'docs/DESIGN.md'), 'utf8')
    const table = design.slice(design.indexOf('## Layers'), design.indexOf('\n## ', design.indexOf('## Layers') + 1))
    const named = new Set([...table.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([^`]+)`/g)].map((n) => n[1])))
    for (const d of DEPS) expect(named, `${d.layer} is in DEPS but not in DESIGN.md's layer table`).toContain(d.layer)
  })
})
