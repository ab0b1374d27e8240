import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { expect, test } from 'vitest'
import * as kspec from '../src/index.js'
import * as plugin from '../src/vitest.js'

/**
 * The public API, pinned: what `kspec` and `kspec/vitest` export (values and types). A
 * change here is a change for every user; make it on purpose, here and in the README.
 */
test('the values kspec exports', () => {
  expect(Object.keys(kspec).sort()).toEqual([
    'BrokenKernelError', 'DeclarationError', 'IncompleteTraceError', 'LeakError', 'TargetError', 'Trace', 'TraceFileError',
    'TracefsError', 'TracefsUnavailableError', 'UNKNOWN_FUNCTION', 'UnsupportedError', 'WorkloadTimeoutError',
    'afterAll', 'afterEach', 'beforeAll', 'beforeEach', 'defineConfig', 'defineTrace', 'describe', 'eprobe', 'expect', 'fprobe', 'fretprobe', 'it',
    'kprobe', 'kretprobe', 'libcPath', 'loadTrace', 'parseTraceText', 'test', 'tprobe', 'uprobe', 'uretprobe',
  ])
  expect(Object.keys(plugin).sort()).toEqual(['kspec'])
})

/** The names a module exports, types included, as the compiler sees them. */
function exportedNames(file: string): string[] {
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, noEmit: true })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(file)!
  return checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).map((s) => s.name).sort()
}

test('the types kspec exports', () => {
  const values = new Set(Object.keys(kspec))
  const types = exportedNames(fileURLToPath(new URL('../src/index.ts', import.meta.url))).filter((n) => !values.has(n))
  expect(types).toEqual([
    'Background', 'BackgroundPolicy', 'CallChain', 'CallRecord', 'CallTreeSnapshotOptions', 'EventRecord', 'Features',
    'FieldExpectation', 'FieldValue', 'FieldsExpectation', 'FunctionRecord', 'IrqRecord', 'KspecConfig', 'KspecConfigInput',
    'KspecFixtures', 'LoadOptions', 'Loss', 'LostRecord', 'MarkerRecord', 'Origin', 'ParseProblem', 'Probe', 'ProbeSite',
    'RecordCallOptions', 'RecordFn', 'RecordKind', 'RecordedTrace', 'RefusalExpectation', 'Stack', 'SwitchRecord', 'TraceDeclaration',
    'TraceHeader', 'TraceInput', 'TraceMatchers', 'TraceRecord', 'Workload', 'WorkloadContext', 'WorkloadResult',
  ])
  expect(exportedNames(fileURLToPath(new URL('../src/vitest.ts', import.meta.url)))).toEqual(['KspecPluginOptions', 'Settings', 'kspec'])
}, 60_000)

test("the package's entry points are the built files of these modules, and the reporters' paths", () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  expect(pkg.exports).toEqual({
    '.': { types: './dist/index.d.ts', import: './dist/index.js' },
    './vitest': { types: './dist/vitest.d.ts', import: './dist/vitest.js' },
    './reporters/junit': './reporters/junit.js',
    './reporters/summary': './reporters/summary.js',
    './reporters/ktap': './reporters/ktap.js',
  })
})
