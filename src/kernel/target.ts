import { TargetError } from '../errors.js'
/**
 * A target: somewhere a tracefs lives and workloads run. src/tracefs is written once
 * against this interface; `host` and `qemu` implement it. Paths are relative to the
 * target's tracefs root. Failures are TargetErrors carrying an errno code (EINVAL,
 * ENOENT, EBUSY, EPERM, ...), whichever target raised them.
 */
export interface Target {
  /** `host`, or `qemu:<image>`. */
  readonly name: string
  /** What differs between targets, for the layers above to ask rather than test the name. */
  readonly capabilities: Capabilities
  /** A booted VM's boot, for the run's summary (how many, how long); undefined on the host and before booting. */
  readonly booted?: { ms: number; accel: string; fallback?: string }
  /** `uname -r` of the kernel under test. */
  release(): Promise<string>
  /** The kernel is broken (it oopsed, WARNed, tainted): a VM shared by the run is not lent again. */
  retire?(): void
  /** Finds or mounts tracefs; throws TracefsUnavailableError with what to do. */
  ready(): Promise<void>
  read(path: string): Promise<string>
  /** Truncating write, as `echo x > file`. */
  write(path: string, data: string): Promise<void>
  /** Appending write, as `echo x >> file` (kprobe_events, uprobe_events). */
  append(path: string, data: string): Promise<void>
  mkdir(path: string): Promise<void>
  rmdir(path: string): Promise<void>
  list(path: string): Promise<string[]>
  exists(path: string): Promise<boolean>
  /**
   * A kernel setting under /proc/sys by its sysctl name (`kernel.stack_tracer_enabled`), or
   * undefined where the kernel has none; only names kspec itself chooses, never a user's.
   */
  readSysctl(name: Sysctl): Promise<string | undefined>
  writeSysctl(name: Sysctl, value: string): Promise<void>
  /** Reads a file of the target outside tracefs (an ELF binary, /proc/kallsyms). */
  readFile(absolutePath: string): Promise<Buffer>
  /** Streams a tracefs file that blocks for data (trace_pipe) until the signal aborts. */
  stream(path: string, signal: AbortSignal): AsyncIterable<Buffer>
  /**
   * Starts a spawner: a small idle process that forks workloads on request. Tracing is
   * scoped to its pid once (with event-fork), so every workload it forks is traced
   * from birth and re-scoping costs nothing between tests.
   */
  spawner(): Promise<Spawner>
  /** Loads a kernel module with its parameters (`modprobe NAME key=value…`, dependencies first); the error carries modprobe's words. */
  loadModule(name: string, params: string[]): Promise<void>
  /** Builds an out-of-tree module's source folder against this kernel (its headers); returns the .ko on this machine. */
  buildModule(source: string): Promise<string>
  /** Loads a module file built here (what it depends on first); returns the module's name. */
  loadModuleFile(ko: string, params: string[]): Promise<string>
  /** Unloads a module kspec loaded (`modprobe -r`, or `rmmod` for a file). */
  unloadModule(name: string): Promise<void>
  /** The names of the modules loaded now (/proc/modules); undefined where the kernel has no module support. */
  modules(): Promise<string[] | undefined>
  /** Every record in the kernel's log buffer, as /dev/kmsg gives them (`prio,seq,ts,flags;message`). */
  kernelLog(): Promise<string>
  /** The absolute path of a tracefs file on the target, as a workload there opens it. */
  tracefsPath(p: string): Promise<string>
  /** Whether a process of this target still runs (for the janitor). */
  alive(pid: number): Promise<boolean>
  /** A lock on a global resource of this target, across processes. */
  lock(name: string, timeoutMs: number): Promise<() => Promise<void>>
  /**
   * Notes kept on the target of what kspec changed beyond its own `kspec_<pid>_*` objects
   * (the top level, the stack tracer, synthetic events): written before the change and
   * dropped once it is undone, so that the next kspec process undoes what a `kill -9`'d one
   * left (src/tracefs/undo.ts). Keys are `<pid>-<what>` (NOTE_KEY).
   */
  writeNote(key: string, text: string): Promise<void>
  dropNote(key: string): Promise<void>
  notes(): Promise<{ key: string; text: string }[]>
  /** Ends the target's resources (a VM); the host has none. */
  close(): Promise<void>
}

export interface Capabilities {
  /** Workloads that are functions of kspec's own process (only where kspec runs beside the tracefs: the host). */
  functionWorkloads: boolean
  /** Where a workload's programs come from, said when one is missing (the guest's busybox); absent on the host. */
  programs?: string
}

/**
 * A shell command (`ls -hl`) or an argv array (`['ls', '-hl']`), and variables kspec adds
 * to its environment (`KSPEC_TRACE_MARKER`).
 */
export type WorkloadSpec = ({ shell: string } | { argv: string[] }) & { env?: Record<string, string> }

export interface Spawner {
  /** The spawner's own pid: put in set_event_pid, and filtered out of traces. */
  readonly pid: number
  /** The process that starts each prepared job (SIGCONT): kspec itself, or the guest agent. Its records are filtered out too. */
  readonly launcher: number
  /**
   * Forks one workload, stopped before its exec: all that launching it does (the fork,
   * files, the cgroup) happens now, before tracing starts, so none of it fires a
   * trigger or lands in the trace. `start()` lets it run and resolves when it ends.
   */
  prepare(workload: WorkloadSpec, timeoutMs: number, background?: BackgroundPolicy): Promise<PreparedJob>
  /**
   * prepare() and start() at once. Runs one workload in a container of its own (a cgroup leaf, else a process group);
   * past timeoutMs it gets SIGTERM, then everything in its container SIGKILL. What it
   * leaves running when it ends is killed or waited for, by `background` (default kill).
   */
  run(workload: WorkloadSpec, timeoutMs: number, background?: BackgroundPolicy): Promise<WorkloadResult>
  close(): Promise<void>
}

export interface PreparedJob {
  /** The workload's pid, stopped before exec. */
  readonly pid: number
  /** Lets it exec; resolves when it (and by the policy, what it left) has ended. */
  start(): Promise<WorkloadResult>
  /** Kills it unstarted (tracing never started, or failed to). */
  cancel(): Promise<void>
}

export interface WorkloadResult {
  pid: number
  exitCode: number | undefined
  signal: string | undefined
  stdout: string
  stderr: string
  timedOut: boolean
  /** What the workload left running when its main process ended, and what became of it. */
  background: Background
}

/** At the end of a workload, kill what it left running (default) or wait for it. */
export type BackgroundPolicy = 'kill' | 'wait'

export interface Background {
  policy: BackgroundPolicy
  /** How the workload was contained: a cgroup v2 leaf, or (without one) a session and process group of its own. */
  containedBy: 'cgroup' | 'session' | 'process group'
  /** The processes left when the main one ended. */
  processes: { pid: number; comm: string }[]
  /** none left; killed; waited for until they ended; or still running at the timeout, then killed. */
  outcome: 'none' | 'killed' | 'waited' | 'timed out'
}

/** What a note's key looks like: its owner's pid, then what it is about. */
export const NOTE_KEY = /^(\d+)-[a-z0-9_-]+$/

/** A note's file in `dir`, for a key checked first: keys become file names. */
export function noteFile(dir: string, key: string): string {
  if (!NOTE_KEY.test(key)) throw new TargetError(`not a note key: ${JSON.stringify(key)}`, 'EINVAL', dir)
  return `${dir}/${key}.json`
}

/** The key of a note's file name, or undefined for a file that is none. */
export function noteKeyOf(name: string): string | undefined {
  const key = name.replace(/\.json$/, '')
  return name.endsWith('.json') && NOTE_KEY.test(key) ? key : undefined
}

/** The kernel settings kspec reads and writes: the stack tracer's switch. */
export type Sysctl = 'kernel.stack_tracer_enabled'

/** Where a sysctl lives under /proc/sys. */
export const sysctlPath = (name: Sysctl): string => `/proc/sys/${name.replaceAll('.', '/')}`
