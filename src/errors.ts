/**
 * kspec's named errors. Each message quotes its subject, says what is wrong and says
 * what to do, in that order.
 */

/** A declaration (defineTrace, a probe builder, a config) that cannot be used. */
export class DeclarationError extends Error {
  override name = 'DeclarationError'
}

/** What the kernel said when it refused a write: its error_log entry, read apart. */
export interface KernelRefusal {
  /** What was written (a probe definition, a filter, a trigger). */
  value: string
  /** The entry's message (`Field not found`, `Invalid fetch argument`), when the kernel logged one. */
  message?: string
  /** The command as the kernel quoted it, and where its caret points (0-based, in the command). */
  command?: string
  caret?: number
}

/** The kernel refused what kspec asked of tracefs; carries the file, the errno and the kernel's error_log line. */
export class TracefsError extends Error {
  override name = 'TracefsError'
  constructor(
    message: string,
    readonly path: string,
    readonly code: string | undefined,
    options?: { cause?: unknown; refusal?: KernelRefusal },
  ) {
    super(message, options)
    this.refusal = options?.refusal
  }
  /** The refused write and the kernel's words about it, for `rejects.toBeRefused()`. */
  readonly refusal: KernelRefusal | undefined
}

/** tracefs is not there, not mounted, or kspec is not root. */
export class TracefsUnavailableError extends Error {
  override name = 'TracefsUnavailableError'
}

/** The target cannot provide what a declaration needs: the test is skipped with this reason. */
export class UnsupportedError extends Error {
  override name = 'UnsupportedError'
  /** The kernel options (CONFIG_…) that would provide it, where known. */
  readonly needs: readonly string[]
  constructor(message: string, options: ErrorOptions & { needs?: readonly string[] } = {}) {
    super(message, options)
    this.needs = options.needs ?? []
  }
}

/** tracefs differs after a test from before it: something was left behind. */
export class LeakError extends Error {
  override name = 'LeakError'
}

/** The workload did not finish in time and was killed. */
export class WorkloadTimeoutError extends Error {
  override name = 'WorkloadTimeoutError'
}

/** Events were lost while recording and the spec did not opt in to that. */
export class IncompleteTraceError extends Error {
  override name = 'IncompleteTraceError'
}

/** An errno-style failure from a target (host fs or guest agent). */
export class TargetError extends Error {
  override name = 'TargetError'
  constructor(
    message: string,
    readonly code: string,
    readonly path: string,
  ) {
    super(message)
  }
}

/** The kernel WARNed, oopsed or became tainted during a test: the verdict is *broken*. */
export class BrokenKernelError extends Error {
  override name = 'BrokenKernelError'
}

/** A file or stream given as a trace that is none: empty, not ftrace text, a corrupt .gz, a folder without a trace. */
export class TraceFileError extends Error {
  override name = 'TraceFileError'
}
