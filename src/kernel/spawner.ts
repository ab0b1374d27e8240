import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { constants, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { orphanProof } from './exec.js'
import type { Spawner, WorkloadResult, WorkloadSpec } from './target.js'

/** Grace between SIGTERM and SIGKILL when a workload overruns its timeout. */
export const KILL_GRACE_MS = 2000

/**
 * The spawner, in Perl (perl-base is essential on Debian, so every host has it). All a
 * workload does not do itself happens here, in the spawner, whose pid is filtered out of
 * traces: reading the job, opening its output files and /dev/null. The forked child only
 * dup2()s and execs, so the trace holds the workload's own events and nothing else (a
 * shell would open /dev/null in the child for a background job). One job directory per
 * line on stdin, its argv NUL-separated in `argv`; pid and wait status come back on stdout.
 */
const SCRIPT = String.raw`$| = 1;
my $running;
# kspec died without closing us (kill -9; setpriv --pdeathsig sends this): end the job, then ourselves.
$SIG{TERM} = sub { kill 'TERM', $running if $running; exit 143 };
while (my $job = <STDIN>) {
  chomp $job;
  open(my $a, '<', "$job/argv") or die "argv: $!"; local $/; my @argv = split /\0/, <$a>; close $a;
  open(my $in, '<', '/dev/null') or die; open(my $out, '>', "$job/out") or die; open(my $err, '>', "$job/err") or die;
  my $pid = fork();
  if (defined $pid && $pid == 0) {
    open(STDIN, '<&', $in); open(STDOUT, '>&', $out); open(STDERR, '>&', $err);
    exec { $argv[0] } @argv;
    print STDERR "kspec: cannot run $argv[0]: $!\n"; exit 127;
  }
  close $in; close $out; close $err;
  print "pid ", ($pid // -1), "\n";
  $running = $pid;
  waitpid($pid, 0) if $pid;
  $running = undef;
  print "status $?\n";
}`

/** A spawner on this machine: Perl reading job directories from a pipe. */
export async function hostSpawner(): Promise<Spawner> {
  // The pid in the name lets the next run remove it should this process be killed.
  const dir = await mkdtemp(join(tmpdir(), `kspec-jobs-${process.pid}-`))
  const sh = spawn(...(await orphanProof('perl', ['-e', SCRIPT], 'TERM')), { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: sh.stdout })[Symbol.asyncIterator]()
  let jobs = 0
  let busy: Promise<unknown> = Promise.resolve()
  /** The workload running now, if any: closing the spawner (Ctrl-C, teardown) stops it. */
  let running: number | undefined
  let closing = false
  const next = async (prefix: string): Promise<string> => {
    const { value, done } = await lines.next()
    if (done || !String(value).startsWith(prefix)) throw new Error(`the workload spawner (pid ${sh.pid}) stopped answering: ${done ? 'it exited' : JSON.stringify(value)}`)
    return String(value).slice(prefix.length)
  }
  const runOne = async (workload: WorkloadSpec, timeoutMs: number): Promise<WorkloadResult> => {
    const job = join(dir, String(++jobs))
    await mkdir(job)
    const argv = 'shell' in workload ? ['/bin/sh', '-c', workload.shell] : workload.argv
    await writeFile(join(job, 'argv'), argv.join('\0'))
    sh.stdin.write(job + '\n')
    const pid = Number(await next('pid '))
    if (pid <= 0) throw new Error(`the workload spawner could not fork ${JSON.stringify(argv)}`)
    running = pid
    if (closing) void signalTree(pid, 'SIGTERM')
    let timedOut = false
    let timer: NodeJS.Timeout | undefined = setTimeout(() => {
      timedOut = true
      void signalTree(pid, 'SIGTERM')
      timer = setTimeout(() => void signalTree(pid, 'SIGKILL'), KILL_GRACE_MS)
    }, timeoutMs)
    let status: number
    try {
      status = Number(await next('status '))
    } finally {
      clearTimeout(timer)
      running = undefined
    }
    const [stdout, stderr] = await Promise.all([readFile(join(job, 'out'), 'utf8'), readFile(join(job, 'err'), 'utf8')])
    await rm(job, { recursive: true, force: true })
    // A wait status: exit code in the high byte, terminating signal in the low 7 bits.
    const signal = status & 0x7f
    return { pid, exitCode: signal ? undefined : status >> 8, signal: signal ? signalName(signal) : undefined, stdout, stderr, timedOut }
  }
  return {
    pid: sh.pid!,
    // Jobs run one at a time: a spawner belongs to one arming, and a test records once at a time.
    run(workload, timeoutMs) {
      const result = busy.then(() => runOne(workload, timeoutMs))
      busy = result.catch(() => {})
      return result
    },
    async close() {
      closing = true
      sh.stdin.end()
      let kill: NodeJS.Timeout | undefined
      if (running !== undefined) {
        // The spawner waits for its job: end the job (two stages, as on a timeout) so it can exit.
        const job = running
        void signalTree(job, 'SIGTERM')
        kill = setTimeout(() => void signalTree(job, 'SIGKILL'), KILL_GRACE_MS)
      }
      if (sh.exitCode === null) await new Promise((r) => sh.once('exit', r))
      clearTimeout(kill)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Signals a process and all its descendants (found through /proc), children first. */
async function signalTree(pid: number, signal: NodeJS.Signals): Promise<void> {
  const parents = new Map<number, number[]>()
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (ppid) parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)])
  }
  const tree: number[] = []
  const walk = (p: number): void => {
    for (const c of parents.get(p) ?? []) walk(c)
    tree.push(p)
  }
  walk(pid)
  for (const p of tree) {
    try {
      process.kill(p, signal)
    } catch {
      // Gone already.
    }
  }
}

function signalName(n: number): string {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`
}
