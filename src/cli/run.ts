import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startVitest } from 'vitest/node'
import { UsageError } from './usage.js'

/** Where `import … from 'kspec'` resolves in spec files: this very build of kspec. */
const KSPEC_ENTRY = fileURLToPath(new URL('../index.js', import.meta.url))
/** The closing summary with skip reasons, shipped beside dist/. */
const SUMMARY_REPORTER = fileURLToPath(new URL('../../reporters/summary.ts', import.meta.url))

export const DEFAULT_SPECS = ['specs/**/*.spec.ts']
const ANY_SPEC = ['**/*.spec.{ts,mts,js,mjs}', '**/*.test.{ts,mts,js,mjs}']

/** `kspec run [files...] [-t pattern] [--timeout ms]`: spec files through vitest's node API. */
export async function runCommand(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        testNamePattern: { type: 'string', short: 't' },
        timeout: { type: 'string' },
        update: { type: 'boolean', short: 'u' },
      },
    })
  } catch (e) {
    throw new UsageError((e as Error).message, 'usage: kspec run [files...] [-t pattern] [--timeout ms] [-u]')
  }
  const timeout = args.values.timeout === undefined ? 60_000 : Number(args.values.timeout)
  if (!Number.isInteger(timeout) || timeout <= 0) throw new UsageError(`--timeout ${args.values.timeout} is not a number of milliseconds`, 'e.g. --timeout 30000')
  const files = args.positionals
  process.exitCode = undefined
  const vitest = await startVitest(
    'test',
    files,
    {
      run: true,
      watch: false,
      config: false,
      include: files.length > 0 ? ANY_SPEC : DEFAULT_SPECS,
      testNamePattern: args.values.testNamePattern,
      testTimeout: timeout,
      update: args.values.update,
      // One process per worker: kspec names what it creates after the owning pid.
      pool: 'forks',
      reporters: ['default', SUMMARY_REPORTER],
    },
    { resolve: { alias: { kspec: KSPEC_ENTRY } } },
  )
  const ran = vitest.state.getFiles().length
  if (ran === 0) {
    process.stderr.write(`kspec: no spec files found${files.length ? ` matching ${files.join(' ')}` : ` under ${DEFAULT_SPECS.join(', ')}`}\n`)
    return 2
  }
  const code = Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return code === 0 ? 0 : 1
}
