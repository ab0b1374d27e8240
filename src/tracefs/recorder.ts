import { join, resolve } from 'node:path'
import { IncompleteTraceError, LeakError, UnsupportedError } from '../errors.js'
import type { BackgroundPolicy, Spawner, Target } from '../kernel/target.js'
import { assertDeclaration, deriveDeclaration, type TraceDeclaration } from '../spec/declaration.js'
import { describeLoss } from '../trace/trace.js'
import { arm, type Arming } from './arm.js'
import { probeEprobes, probeFeatures, probeTracer, type Features } from './features.js'
import { sweep } from './janitor.js'
import { plan } from './requirements.js'
import { checkWorkload, ensureTraceDir, keepTraceDir, removeTraceDir, runArmed, workloadKind, type RecordedTrace, type Workload } from './recording.js'

export type { RecordedTrace }
import { sweepPrivateDirs } from '../tempdir.js'
import { teardown } from './teardown.js'
import { forgetFunctions } from './functions.js'


export interface RecorderOptions {
  /** Ring buffer size for declarations that do not set bufferSizeKb (the config's). */
  bufferSizeKb?: number
  /** Called when this process's parent is gone, before teardown (the fixtures remove the run's shared folders). */
  onOrphaned?: () => void
}

export interface RecordOptions {
  timeoutMs?: number
  /** What the workload leaves running when it ends: killed (default) or waited for (up to the timeout). */
  background?: BackgroundPolicy
  /** A name for the saved trace file (the test's name). */
  name?: string
}

const live = new Set<Recorder>()
/** Saved traces of this process, numbered across its recorders: one folder holds them all, each file new. */
let saved = 0
let signalsHooked = false

/**
 * Records traces on one target for one process. Armed instances are kept per
 * declaration and reused by the next test that declares the same (stop, clear,
 * re-scope the pid, go); close() tears them all down. SIGINT and SIGTERM tear down
 * every recorder before the process ends.
 * @example const trace = await recorder.record(openat, 'ls -hl')
 */
export class Recorder {
  #features: Promise<Features> | undefined
  #idle = new Map<string, Arming[]>()
  #all = new Set<Arming>()
  #keys = new WeakMap<Arming, string>()
  #spare: Promise<Spawner> | undefined
  #closed = false
  /** Modules a recording in progress loaded: close() (a signal) unloads them. */
  #modules = new Set<string>()
  /** Aborted by close(): a recording in progress stops reading trace_pipe, so its instance can go. */
  #cancel = new AbortController()

  constructor(readonly target: Target, readonly options: RecorderOptions = {}) {
    live.add(this)
    hookSignals()
  }

  /**
   * The target's features, probed once. Also sweeps dead runs' leftovers and starts a
   * workload spawner, so the first test waits for neither; later armings start theirs
   * while their instance is set up.
   */
  features(): Promise<Features> {
    if (!this.#features) {
      this.#warmSpawner()
      const spare = this.#spare?.catch(() => {})
      this.#features = probeFeatures(this.target).then(async (f) => {
        await Promise.all([sweep(this.target), sweepPrivateDirs(), spare])
        return f
      })
    }
    return this.#features
  }

  /** Starts a spawner in the background for the next arming that needs one, unless one is ready. */
  #warmSpawner(): void {
    if (this.#spare || this.#closed) return
    const spare = this.target.spawner()
    spare.catch(() => {})
    this.#spare = spare
  }

  /** The spawner started ahead, or a new one when none was. */
  async #takeSpawner(): Promise<Spawner> {
    const spare = this.#spare
    this.#spare = undefined
    return (await spare?.catch(() => undefined)) ?? this.target.spawner()
  }

  /** Why the declaration cannot run here (empty when it can), and the kernel options that would provide it. */
  async unmet(decl: TraceDeclaration): Promise<{ unmet: string[]; needs: string[] }> {
    const f = await this.features()
    if (decl.tracer !== 'nop') await probeTracer(this.target, f, decl.tracer)
    // Function triggers are the function tracer's machinery: refused where it is.
    if (decl.functionTriggers.length > 0) await probeTracer(this.target, f, 'function')
    if (decl.eprobes.length > 0) await probeEprobes(this.target, f)
    return plan(decl, f)
  }

  async record(declared: TraceDeclaration, workload: Workload, opts: RecordOptions = {}): Promise<RecordedTrace> {
    assertDeclaration(declared, 'record(decl, workload)')
    checkWorkload(workload)
    // The config's default buffer size, for declarations that do not set one.
    const fallback = this.options.bufferSizeKb
    const decl = declared.bufferSizeKb || !fallback ? declared : withBuffer(declared, fallback)
    const features = await this.features()
    const { unmet, needs } = await this.unmet(decl)
    if (unmet.length) throw new UnsupportedError(unmet.join('; '), { needs })
    if (decl.modules.length === 0) return this.#record(decl, workload, features, opts)
    // Modules first, so filters and probes on their functions resolve; unloaded after,
    // whatever happened (the arming, whose probes may point into them, is not kept).
    const loaded: string[] = []
    let failure: unknown
    try {
      for (const m of decl.modules) {
        const params = Object.entries(m.params).map(([k, v]) => `${k}=${v}`)
        let name: string
        if ('source' in m) name = await this.target.loadModuleFile(await this.target.buildModule(resolve(m.source)), params)
        else if ('file' in m) name = await this.target.loadModuleFile(resolve(m.file), params)
        else await this.target.loadModule((name = m.name), params)
        loaded.push(name)
        this.#modules.add(name)
      }
      forgetFunctions(this.target)
      return await this.#record(decl, workload, features, opts)
    } catch (e) {
      failure = e
      throw e
    } finally {
      const errors: string[] = []
      for (const name of loaded.reverse()) {
        await this.target.unloadModule(name).then(() => this.#modules.delete(name), (e: Error) => errors.push(e.message))
      }
      if (loaded.length) forgetFunctions(this.target)
      if (errors.length) {
        if (failure instanceof Error) failure.message += `\n\nAlso, while cleaning up: ${errors.join('; ')}`
        else throw new LeakError(errors.join('\n'))
      }
    }
  }

  async #record(decl: TraceDeclaration, workload: Workload, features: Features, opts: RecordOptions): Promise<RecordedTrace> {
    const key = `${decl.id}:${workloadKind(workload)}`
    let armed = this.#idle.get(key)?.pop()
    if (!armed) {
      // A new arming needs a spawner: one starts while the instance is set up, if none is ready.
      if (workloadKind(workload) === 'cmd') this.#warmSpawner()
      armed = await this.#arm(decl, features, key)
    }
    let trace: RecordedTrace
    try {
      const dir = await ensureTraceDir()
      const file = `${++saved}-${(opts.name ?? decl.id).replace(/[^\w.-]+/g, '_').slice(0, 80)}.txt`
      trace = await runArmed(this.target, armed, workload, { timeoutMs: opts.timeoutMs ?? 30_000, savePath: join(dir, file), spawner: () => this.#takeSpawner(), background: opts.background, cancel: this.#cancel.signal })
    } catch (e) {
      // The run's own error is the one to see; a teardown failure is added to it, not put in its place.
      await this.#drop(armed).catch((leak: Error) => {
        if (e instanceof Error) e.message += `\n\nAlso, while cleaning up: ${leak.message}`
      })
      throw e
    }
    // Top-level armings hold a global lock: never keep them between tests. Nor do armings
    // with triggers: a trigger keeps its state (a hist's counts, traceoff:1 spent), and the
    // next test must see only its own. Nor armings with modules, unloaded after each test.
    // Nor one whose workload turned events on or off: the next test would trace otherwise.
    const untouched = armed.dir !== '' && (await this.target.read(`${armed.dir}set_event`).catch(() => undefined)) === armed.enabled
    // The buffer the run had, read before a dropped arming's instance goes (or the top level's is put back).
    const lossy = !trace.complete && !decl.allowLoss
    const size = lossy ? Number((await this.target.read(`${armed.dir}buffer_size_kb`).catch(() => '')).replace(/\D.*$/s, '')) || undefined : undefined
    if (untouched && !hasTriggers(decl) && !holdsTracepoints(decl) && decl.modules.length === 0) this.#park(armed)
    else await this.#drop(armed)
    if (lossy) {
      throw new IncompleteTraceError(
        `the trace is incomplete: ${trace.lost} event(s) lost (${describeLoss(trace.loss)}). ` +
          `Give the declaration a larger buffer (bufferSizeKb: ${size ? size * 8 : 'a larger value'}${size ? `, now ${size}` : ''}), narrow it (filters, fewer events), set stream: true to read trace_pipe while the workload runs, or allowLoss: true to accept it. Trace: ${trace.source}`,
      )
    }
    return trace
  }

  async #arm(decl: TraceDeclaration, features: Features, key: string): Promise<Arming> {
    let created: Arming | undefined
    try {
      const a = await arm(this.target, decl, features, (a) => {
        created = a
        this.#all.add(a)
      })
      this.#keys.set(a, key)
      if (a.dir) a.enabled = await this.target.read(`${a.dir}set_event`)
      return a
    } catch (e) {
      if (created) await this.#drop(created).catch(() => {})
      throw e
    }
  }

  #park(a: Arming): void {
    const key = this.#keys.get(a)!
    const list = this.#idle.get(key) ?? []
    list.push(a)
    this.#idle.set(key, list)
  }

  async #drop(a: Arming): Promise<void> {
    this.#all.delete(a)
    const key = this.#keys.get(a)!
    const list = this.#idle.get(key)
    if (list) this.#idle.set(key, list.filter((x) => x !== a))
    await teardown(this.target, a)
  }

  /** Tears down every arming; reports every failure together. */
  async close(): Promise<void> {
    live.delete(this)
    this.#closed = true
    this.#cancel.abort()
    const errors: string[] = []
    const spare = this.#spare
    this.#spare = undefined
    // The unused spawner ends while the armings come down, not before them.
    const spareClosed = spare?.then((s) => s.close()).catch((e: Error) => void errors.push(`the spare workload spawner: ${e.message}`))
    for (const a of [...this.#all]) await this.#drop(a).catch((e) => errors.push((e as Error).message))
    for (const name of [...this.#modules].reverse()) await this.target.unloadModule(name).then(() => this.#modules.delete(name), (e: Error) => errors.push(e.message))
    await spareClosed
    this.#idle.clear()
    // Ended normally (an interrupt removes the folder after this): its traces are the run's output.
    await keepTraceDir()
    if (errors.length) throw new LeakError(errors.join('\n'))
  }
}

/**
 * Tears every recorder down before the process ends: on SIGINT and SIGTERM (then the
 * signal is raised again, so the exit status says which), and when the parent process
 * is gone (`kspec run` killed alone, even with -9: the IPC channel closes, or this process
 * is reparented), since nobody would tear down for an orphaned worker. Signals that come
 * while tearing down (a second Ctrl-C, kspec run forwarding the first) do not cut it short.
 */
function hookSignals(): void {
  if (signalsHooked) return
  signalsHooked = true
  let ending: Promise<unknown> | undefined
  // Interrupted with recorders still open, this process's saved traces go too (a failed
  // test's were copied to its artifacts). With none open, the signal is vitest ending the
  // worker after its tests: the traces are the run's output and stay.
  const end = (then: () => void) => {
    const open = [...live]
    ending ??= Promise.allSettled(open.map((r) => r.close()))
      .then(() => (open.length > 0 ? removeTraceDir() : undefined))
      .then(then, then)
  }
  const onSignal = (signal: NodeJS.Signals) => {
    end(() => {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    })
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, onSignal)
  let parentGone = false
  const orphaned = () => {
    if (parentGone) return
    parentGone = true
    for (const r of live) {
      try {
        r.options.onOrphaned?.()
      } catch {
        // Best effort: the teardown below matters more.
      }
    }
    end(() => {
      process.stderr.write(`kspec: the process that started this one (pid ${parent}) is gone; everything kspec armed here was torn down\n`, () => process.exit(1))
      setTimeout(() => process.exit(1), 500).unref()
    })
  }
  const parent = process.ppid
  if (process.channel) process.once('disconnect', orphaned)
  setInterval(() => {
    if (process.ppid !== parent) orphaned()
  }, 200).unref()
}

const sized = new WeakMap<TraceDeclaration, TraceDeclaration>()

/** The same declaration (same id, so armings are still reused) with a buffer size. */
function withBuffer(d: TraceDeclaration, kb: number): TraceDeclaration {
  let out = sized.get(d)
  if (!out) sized.set(d, (out = deriveDeclaration(d, { bufferSizeKb: kb })))
  return out
}

/** Event or function triggers, and the synthetic events they fire: set once per arming, with state of their own (counts, histograms), so never reused. */
const hasTriggers = (d: TraceDeclaration): boolean => d.functionTriggers.length > 0 || d.syntheticEvents.length > 0 || d.events.some((e) => typeof e !== 'string' && (e.triggers?.length ?? 0) > 0)

/** A tprobe holds its tracepoint (one at a time, on 6.12), a chosen probe group its group: never parked, or the next test there would wait for it. */
const holdsTracepoints = (d: TraceDeclaration): boolean => d.fprobes.some((p) => p.type === 'tprobe') || d.probeGroup !== undefined
