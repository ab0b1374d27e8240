import { spawn } from 'node:child_process'
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { privateDir } from '../tempdir.js'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { cgroupHome, killLeaf, members, newLeaf, removeLeaf, waitEmpty } from './cgroup.js'
import { argvOf, control, envOf, parseStat, pollUntil, terminate, waitStopped, type Container, type Job, type ProcStat } from './workload.js'
import { orphanProof } from './exec.js'
import type { BackgroundPolicy, PreparedJob, Spawner, WorkloadSpec } from './target.js'

/**
 * The spawner, in Perl (perl-base is essential on Debian, so every host has it). All a
 * workload does not do itself happens here, in the spawner, whose pid is filtered out of
 * traces: reading the job, opening its output files and /dev/null. The forked child only
 * dup2()s and execs, so the trace holds the workload's own events and nothing else (a
 * shell would open /dev/null in the child for a background job). One job directory per
 * line on stdin, its argv NUL-separated in `argv`; pid and wait status come back on stdout.
 */
const SCRIPT = String.raw`$| = 1;
my ($running, $leaf);
# kspec died without closing us (kill -9; setpriv --pdeathsig sends this): end the job and all it started, then ourselves.
$SIG{TERM} = sub {
  kill 'TERM', $running if $running;
  if ($leaf && open(my $k, '>', "$leaf/cgroup.kill")) { print $k "1"; close $k } elsif ($running) { kill 'KILL', -$running }
  exit 143;
};
sub move_to { my ($cg) = @_; open(my $p, '>', "$cg/cgroup.procs") or return 0; print $p "0"; return close($p) }
while (my $job = <STDIN>) {
  chomp $job;
  open(my $a, '<', "$job/argv") or die "argv: $!"; local $/; my @argv = split /\0/, <$a>; close $a;
  my @env; if (open(my $e, '<', "$job/env")) { @env = split /\0/, <$e>; close $e }
  # The job's cgroup leaf and our own cgroup: we step into the leaf to fork, so the child is born there.
  my $home; ($leaf, $home) = (undef, undef);
  if (open(my $c, '<', "$job/cgroup")) { ($leaf, $home) = split /\n/, <$c>; close $c }
  my $contained = $leaf && move_to($leaf) ? 'cgroup' : 'session';
  $leaf = undef if $contained ne 'cgroup';
  open(my $in, '<', '/dev/null') or die; open(my $out, '>', "$job/out") or die; open(my $err, '>', "$job/err") or die;
  my $pid = fork();
  if (defined $pid && $pid == 0) {
    # Loaded only here: POSIX would add ~20 ms to every spawner's start (first tests wait for it).
    if ($contained eq 'session') { require POSIX; POSIX::setsid() }
    open(STDIN, '<&', $in); open(STDOUT, '>&', $out); open(STDERR, '>&', $err);
    for (@env) { my ($k, $v) = split /=/, $_, 2; $ENV{$k} = $v }
    # Stopped until kspec has started tracing (SIGCONT): all the launching above happened before.
    kill 'STOP', $$;
    exec { $argv[0] } @argv;
    print STDERR "kspec: cannot run $argv[0]: $!\n"; exit 127;
  }
  move_to($home) if $contained eq 'cgroup';
  close $in; close $out; close $err;
  print "pid ", ($pid // -1), " $contained\n";
  $running = $pid;
  waitpid($pid, 0) if $pid;
  $running = undef;
  print "status $?\n";
}`

/** A spawner on this machine: Perl reading job directories from a pipe. */
export async function hostSpawner(): Promise<Spawner> {
  // The pid in the name lets the next run remove it should this process be killed.
  const dir = await privateDir('jobs')
  // Found (and probed) once per process, while the spawner starts, not on the first job.
  void cgroupHome()
  const sh = spawn(...(await orphanProof('perl', ['-e', SCRIPT], 'TERM')), { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: sh.stdout })[Symbol.asyncIterator]()
  let jobs = 0
  let busy: Promise<unknown> = Promise.resolve()
  /** The workload running now, if any: closing the spawner (Ctrl-C, teardown) stops it. */
  let running: Job | undefined
  const next = async (prefix: string): Promise<string> => {
    const { value, done } = await lines.next()
    if (done || !String(value).startsWith(prefix)) throw new Error(`the workload spawner (pid ${sh.pid}) stopped answering: ${done ? 'it exited' : JSON.stringify(value)}`)
    return String(value).slice(prefix.length)
  }
  const prepareOne = async (workload: WorkloadSpec, timeoutMs: number, background: BackgroundPolicy): Promise<PreparedJob> => {
    const job = join(dir, String(++jobs))
    await mkdir(job)
    const argv = argvOf(workload)
    await writeFile(join(job, 'argv'), argv.join('\0'))
    const env = envOf(workload)
    if (env.length) await writeFile(join(job, 'env'), env.join('\0'))
    const leaf = await newLeaf().catch(() => undefined)
    const home = await cgroupHome()
    if (leaf && home) await writeFile(join(job, 'cgroup'), `${leaf}\n${home}`)
    sh.stdin.write(job + '\n')
    const [pidText, contained] = (await next('pid ')).split(' ')
    const pid = Number(pidText)
    if (pid <= 0) {
      if (leaf) await removeLeaf(leaf)
      throw new Error(`the workload spawner could not fork ${JSON.stringify(argv)}`)
    }
    const group: Group = contained === 'cgroup' && leaf ? { kind: 'cgroup', leaf } : { kind: 'session', sid: pid }
    if (leaf && group.kind !== 'cgroup') await removeLeaf(leaf)
    await waitStopped(() => readFile(`/proc/${pid}/stat`, 'utf8'))
    const held: Job = {
      pid,
      container: container(group),
      signal: async (sig) => (sig === 'SIGCONT' ? signal(pid, sig) : signalTree(pid, sig)),
      status: async () => Number(await next('status ')),
      finish: async () => {
        running = undefined
        if (group.kind === 'cgroup') await removeLeaf(group.leaf)
        const [stdout, stderr] = await Promise.all([readFile(join(job, 'out'), 'utf8'), readFile(join(job, 'err'), 'utf8')])
        await rm(job, { recursive: true, force: true })
        return { stdout, stderr }
      },
    }
    running = held
    return control(held, timeoutMs, background)
  }
  const prepare = (workload: WorkloadSpec, timeoutMs: number, background: BackgroundPolicy = 'kill'): Promise<PreparedJob> => {
    // One job at a time: the next is prepared once this one has ended (or was cancelled).
    const job = busy.then(() => prepareOne(workload, timeoutMs, background))
    let ended!: () => void
    busy = new Promise<void>((r) => (ended = r))
    job.catch(() => ended())
    return job.then((j) => ({
      pid: j.pid,
      start: () => j.start().finally(ended),
      cancel: () => j.cancel().finally(ended),
    }))
  }
  return {
    pid: sh.pid!,
    launcher: process.pid,
    // Jobs run one at a time: a spawner belongs to one arming, and a test records once at a time.
    prepare,
    run: async (workload, timeoutMs, background) => (await prepare(workload, timeoutMs, background)).start(),
    async close() {
      sh.stdin.end()
      // The spawner waits for its job: end the job and all it started (two stages, as on a timeout) so it can exit.
      const callOff = running && terminate(running)
      if (sh.exitCode === null) await new Promise((r) => sh.once('exit', r))
      callOff?.()
      await rm(dir, { recursive: true, force: true })
    },
  }
}


/** Where a workload and everything it starts are held: a cgroup leaf, or a session of its own where cgroup v2 is not usable. */
type Group = { kind: 'cgroup'; leaf: string } | { kind: 'session'; sid: number }

/** Every process of this machine, from /proc. */
async function processes(): Promise<ProcStat[]> {
  const out: ProcStat[] = []
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue
    const stat = parseStat(Number(entry), await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => ''))
    if (stat) out.push(stat)
  }
  return out
}

/** The processes of a session, for the fallback without cgroups. */
const sessionMembers = async (sid: number) => (await processes()).filter((p) => p.session === sid).map(({ pid, comm }) => ({ pid, comm }))

function container(g: Group): Container {
  if (g.kind === 'cgroup') return { containedBy: 'cgroup', members: () => members(g.leaf), waitEmpty: (deadline) => waitEmpty(g.leaf, deadline), kill: () => killLeaf(g.leaf) }
  return {
    containedBy: 'session',
    members: () => sessionMembers(g.sid),
    waitEmpty: (deadline) => pollUntil(async () => (await sessionMembers(g.sid)).length === 0, deadline),
    kill: async () => {
      for (const { pid } of await sessionMembers(g.sid)) signal(pid, 'SIGKILL')
    },
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // Gone already.
  }
}

/** Signals a process and all its descendants (found through /proc), children first. */
async function signalTree(pid: number, sig: NodeJS.Signals): Promise<void> {
  const children = new Map<number, number[]>()
  for (const p of await processes()) if (p.ppid) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid])
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) walk(c)
    signal(p, sig)
  }
  walk(pid)
}
