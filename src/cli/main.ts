import { UsageError } from './usage.js'

const HELP = `kspec — Jest-style tests for Linux kernel behaviour, asserted on ftrace traces

Usage:
  kspec run [files...] [--kernel host|debian|debian-backports|PATH ...] [--modules DIR] [--accel auto|kvm|tcg]
                                run spec files (default: specs/**/*.spec.ts) through vitest,
                                once per kernel: this machine's, Debian's under QEMU, or an image
  kspec parse FILE [--json]     summarize a saved trace; --json writes one JSON record per line
  kspec doctor [--clean]        what the kernel offers and how to get what it lacks; --clean removes
                                what dead kspec runs left in tracefs
  kspec init                    write kspec.config.ts and an example spec here
  kspec merge-reports -o OUT F… join the JUnit files of sharded runs (--shard i/n) into one
  kspec help                    this text

Exit codes: 0 all ran and passed (skips allowed), 1 a failure, 2 a usage error.`

/** Runs one kspec command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      // Each command's modules are loaded when it runs: `kspec parse` does not load vitest.
      case 'run':
        return await (await import('./run.js')).runCommand(rest)
      case 'parse':
        return await (await import('./parse.js')).parseCommand(rest)
      case 'doctor':
        return await (await import('./doctor.js')).doctorCommand(rest)
      case 'init':
        return await (await import('./init.js')).initCommand(rest)
      case 'merge-reports':
        return await (await import('./merge.js')).mergeCommand(rest)
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP + '\n')
        return 0
      default:
        throw new UsageError(`unknown command "${command}"`, 'run `kspec help` for the commands')
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`kspec: ${e.message}\n`)
      return 2
    }
    throw e
  }
}
