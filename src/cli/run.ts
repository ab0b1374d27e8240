import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { release } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startVitest } from 'vitest/node'
import { resolveKernel } from '../kernel/qemu/kernel.js'
import { loadConfig } from '../config/load.js'
import { ConfigError } from '../config/schema.js'
import { settingsFrom, type Settings } from '../config/settings.js'
import { kspec } from '../vitest.js'
import { UsageError } from './usage.js'
import { HostTarget } from '../kernel/host.js'
import { parseStat } from '../kernel/workload.js'
import { privateDir, removeVitestTmp } from '../tempdir.js'
import { describeLeftovers, sweepLeftovers } from './leftovers.js'

/** Where `import … from 'kspec'` resolves in spec files: this very build of kspec. */
const KSPEC_ENTRY = fileURLToPath(new URL('../index.js', import.meta.url))
/** Every file of the built kspec those imports reach. */
const KSPEC_BUILD_FILES = new RegExp(`^${fileURLToPath(new URL('../', import.meta.url)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)
/** kspec's reporters, built beside this file. */
const SUMMARY_REPORTER = fileURLToPath(new URL('../report/summary-reporter.js', import.meta.url))
const JUNIT_REPORTER = fileURLToPath(new URL('../report/junit-reporter.js', import.meta.url))
const KTAP_REPORTER = fileURLToPath(new URL('../report/ktap-reporter.js', import.meta.url))
const REPORTERS = ['default', 'junit', 'json', 'ktap'] as const

const ANY_SPEC = ['**/*.spec.{ts,mts,js,mjs}', '**/*.test.{ts,mts,js,mjs}']
const USAGE = 'usage: kspec run [files...] [--config file] [--kernel host|debian|debian-backports|PATH ...] [--shard i/n] [--bail n] [--reporter default|junit|json|ktap ...] [--outputFile path] [--modules DIR] [--accel auto|kvm|tcg] [-t pattern] [--timeout ms] [-u]'

/**
 * `kspec run`: spec files through vitest's node API, once per kernel (`--kernel host
 * --kernel debian`), each run reported under the kernel's name.
 */
export async function runCommand(argv: string[]): Promise<number> {
  let args
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kernel: { type: 'string', multiple: true },
        modules: { type: 'string' },
        accel: { type: 'string' },
        testNamePattern: { type: 'string', short: 't' },
        timeout: { type: 'string' },
        update: { type: 'boolean', short: 'u' },
        reporter: { type: 'string', multiple: true },
        outputFile: { type: 'string' },
        config: { type: 'string' },
        shard: { type: 'string' },
        bail: { type: 'string' },
      },
    })
  } catch (e) {
    throw new UsageError((e as Error).message, USAGE)
  }
  let config
  try {
    config = (await loadConfig(args.values.config)).config
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message, 'fix the config file (kspec init writes a valid one)')
    throw new UsageError(`the config file could not be loaded: ${(e as Error).message.split('\n')[0]}`, 'fix it, or pass another with --config')
  }
  const timeout = args.values.timeout === undefined ? config.timeoutMs : Number(args.values.timeout)
  if (!Number.isInteger(timeout) || timeout <= 0) throw new UsageError(`--timeout ${args.values.timeout} is not a number of milliseconds`, 'e.g. --timeout 30000')
  const accel = args.values.accel ?? config.qemu.accel
  if (accel !== undefined && accel !== 'auto' && accel !== 'kvm' && accel !== 'tcg') throw new UsageError(`--accel ${accel} is not auto, kvm or tcg`, USAGE)
  if (args.values.shard && !/^\d+\/\d+$/.test(args.values.shard)) throw new UsageError(`--shard ${args.values.shard} is not i/n`, 'e.g. --shard 1/3')
  if (args.values.bail && !/^\d+$/.test(args.values.bail)) throw new UsageError(`--bail ${args.values.bail} is not a number of failures`, 'e.g. --bail 1')
  const reporters = args.values.reporter ?? config.reporters
  const unknown = reporters.find((r) => !(REPORTERS as readonly string[]).includes(r))
  if (unknown) throw new UsageError(`--reporter ${unknown} is not a kspec reporter`, `use ${REPORTERS.join(', ')}`)
  if (reporters.includes('ktap') && reporters.includes('default')) throw new UsageError('the ktap reporter prints its KTAP document on standard output, which the default reporter would write into', 'use --reporter ktap alone, or with junit/json (they write files)')
  const kernels = args.values.kernel ?? (process.env.KSPEC_KERNEL ? [process.env.KSPEC_KERNEL] : config.kernels)
  // Each kernel's run adds its suites here; the JUnit file is rebuilt from all of them.
  const parts = await privateDir('junit')
  const unhook = onInterrupt(() => {
    rmSync(parts, { recursive: true, force: true })
    removeVitestTmp()
  })
  const results: { kernel: string; code: number }[] = []
  try {
    for (const kernel of kernels) {
      const label = await kernelLabel(kernel)
      if (kernels.length > 1) process.stdout.write(`\n━━ kernel: ${label} ━━\n`)
      // The settings reach the workers typed, through the same plugin plain vitest uses.
      const settings = settingsFrom(config, { kernel, kernelLabel: label, modules: args.values.modules, accel, junitParts: parts })
      results.push({ kernel: label, code: await runOnce(settings, args.positionals, timeout, { ...args.values, reporters, outputFile: args.values.outputFile ?? config.outputFile, specs: config.specs }) })
    }
  } finally {
    unhook()
    // The parts are joined into the report as each kernel's run ends.
    rmSync(parts, { recursive: true, force: true })
    // A worker killed under a test (kill -9, the OOM killer) could not tear down: its leftovers go now, not next run.
    const left = describeLeftovers(await sweepLeftovers(new HostTarget(), { keepFinished: true }))
    if (left) process.stderr.write(`kspec: ${left}\n`)
  }
  if (kernels.length > 1) {
    process.stdout.write(`\n${results.map((r) => `${r.kernel}: ${r.code === 0 ? 'passed' : r.code === 2 ? 'no specs' : 'FAILED'}`).join('\n')}\n`)
  }
  return results.some((r) => r.code === 2) ? 2 : results.some((r) => r.code !== 0) ? 1 : 0
}

/** `host (6.18.44)`, `debian-6.1.0-57-amd64`, or the image's name. */
async function kernelLabel(kernel: string): Promise<string> {
  if (kernel === 'host') return `host ${release()}`
  return (await resolveKernel(kernel)).name
}

interface RunOptions {
  specs: string[]
  shard?: string
  bail?: string
  testNamePattern?: string
  update?: boolean
  reporters: string[]
  outputFile?: string
}

/** vitest reporters for kspec's names: the summary always closes the console output. */
function vitestReporters(o: RunOptions): (string | [string, object])[] {
  const out: (string | [string, object])[] = []
  for (const r of o.reporters) {
    // Every test on its own line, as the console of a kernel test run should show.
    if (r === 'default') out.push('verbose')
    if (r === 'junit') out.push([JUNIT_REPORTER, { outputFile: o.reporters.length > 1 || !o.outputFile ? (o.outputFile ?? 'kspec-junit.xml') : o.outputFile }])
    if (r === 'json') out.push(['json', { outputFile: o.outputFile && !o.reporters.includes('junit') ? o.outputFile : 'kspec-report.json' }])
  }
  // KTAP owns standard output: a consumer reads it whole, so nothing else prints there.
  if (o.reporters.includes('ktap')) return [...out, KTAP_REPORTER]
  if (!o.reporters.includes('default')) out.push('dot')
  out.push(SUMMARY_REPORTER)
  return out
}

async function runOnce(settings: Settings, files: string[], timeout: number, opts: RunOptions): Promise<number> {
  process.exitCode = undefined
  // Quoted globs select files; anything else filters them by path, as vitest does.
  const globs = files.filter((f) => /[*?[{]/.test(f))
  const filters = files.filter((f) => !globs.includes(f))
  const vitest = await startVitest(
    'test',
    filters,
    {
      run: true,
      watch: false,
      config: false,
      name: settings.kernelLabel,
      include: globs.length > 0 ? globs : filters.length > 0 ? ANY_SPEC : opts.specs,
      shard: opts.shard,
      bail: opts.bail === undefined ? undefined : Number(opts.bail),
      testNamePattern: opts.testNamePattern,
      testTimeout: timeout,
      hookTimeout: timeout,
      teardownTimeout: 30_000,
      update: opts.update,
      // One process per worker: kspec names what it creates after the owning pid.
      pool: 'forks',
      reporters: vitestReporters(opts) as never,
    },
    {
      resolve: { alias: { kspec: KSPEC_ENTRY } },
      plugins: [kspec({ settings })],
      // kspec itself is imported by Node, not run module by module through vite's module
      // runner (as it would be from node_modules): each spec file is a fresh worker, and
      // this import was ~1.35 s of it against ~0.3 s natively.
      test: { server: { deps: { external: [KSPEC_BUILD_FILES] } } },
    },
  )
  const ran = vitest.state.getFiles().length
  if (ran === 0) {
    process.stderr.write(`kspec: no spec files found${files.length ? ` matching ${files.join(' ')}` : ` under ${opts.specs.join(', ')}`}\n`)
    return 2
  }
  const code = Number(process.exitCode ?? 0)
  process.exitCode = undefined
  return code === 0 ? 0 : 1
}

/**
 * SIGINT or SIGTERM to `kspec run` alone (not its process group, as Ctrl-C sends): the
 * signal goes on to the test workers, which tear down what they armed and end (they also
 * notice this process is gone); `cleanup` runs before vitest exits this process.
 */
function onInterrupt(cleanup: () => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    for (const pid of workers()) {
      try {
        process.kill(pid, signal)
      } catch {
        // Gone already.
      }
    }
    cleanup()
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}

/** This process's children: vitest's workers. */
function workers(): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let text = ''
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    if (parseStat(Number(entry), text)?.ppid === process.pid) out.push(Number(entry))
  }
  return out
}
