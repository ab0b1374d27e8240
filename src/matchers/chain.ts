import { chai } from 'vitest'
import type { Trace } from '../trace/trace.js'
import { parseDuration } from './duration.js'
import { assertName } from './misuse.js'
import { evaluateToCall, formatToCall, type ToCallSpec } from './toCall.js'

/**
 * What `expect(trace).toCall(fn)` returns: an assertion that is complete on its own
 * and can be narrowed with `.within(parent)` and `.lastingAtMost(budget)`.
 *
 * Positive chains are checked at every link, so a failure throws on the spec line.
 * A negated chain (`.not.toCall(a).within(b)`) is a claim about the whole chain, so it is
 * checked once the statement has finished (a microtask later) and its failure is
 * recorded on the running test with the stack of the spec line. A soft chain
 * (`expect.soft(trace).toCall(a).within(b)`) is checked the same way: its failure is
 * recorded and the test goes on, as with vitest's own matchers under `expect.soft`.
 */
export class CallChain {
  readonly #trace: Trace
  readonly #negated: boolean
  readonly #deferred: boolean
  readonly #spec: ToCallSpec & { budget?: string }
  readonly #site: Error
  readonly #test: unknown

  constructor(trace: Trace, fn: string, negated: boolean, site: Error, test: unknown, soft = false) {
    this.#trace = trace
    this.#negated = negated
    this.#deferred = negated || soft
    this.#spec = { fn }
    this.#site = site
    this.#test = test
    if (soft && !test) throw new Error('expect.soft() can only be used inside a test')
    if (this.#deferred) this.#defer()
    else this.#check(site)
  }

  /** Narrows the claim to calls made (directly or not) from inside `parent`. */
  within(parent: string): this {
    if (this.#spec.parent !== undefined) throw new TypeError(`expect(trace).toCall(...).within(): already within ${JSON.stringify(this.#spec.parent)}; call .within() once.`)
    this.#spec.parent = assertName(parent, 'toCall(...).within', 'parent function name')
    if (!this.#deferred) this.#check(capture(this.within))
    return this
  }

  /** Every matching call lasts at most `budget` (`'200us'`, `'1.5ms'`); function_graph only. */
  lastingAtMost(budget: string): this {
    this.#spec.atMost = parseDuration(budget, 'toCall(...).lastingAtMost')
    this.#spec.budget = budget
    if (!this.#deferred) this.#check(capture(this.lastingAtMost))
    return this
  }

  #check(site: Error): void {
    const result = evaluateToCall(this.#trace, this.#spec)
    const pass = result.decided && (this.#negated ? !result.pass : result.pass)
    if (pass) return
    const err = new chai.AssertionError(formatToCall(this.#trace, this.#spec, result, this.#negated))
    err.stack = `${err.name}: ${err.message}\n${stackFrames(site)}`
    throw err
  }

  #defer(): void {
    const settled = Promise.resolve().then(() => this.#check(this.#site))
    const test = this.#test as { promises?: Promise<unknown>[] } | undefined
    // Outside a test (a plain script) nobody awaits it: the failure stays an unhandled
    // rejection, which Node reports and exits on, rather than passing unseen.
    if (!test) return
    // The runner awaits test.promises before it ends the test (as for unawaited
    // `.resolves`); the no-op catch only keeps Node from calling it unhandled meanwhile.
    settled.catch(() => {})
    ;(test.promises ??= []).push(settled)
  }
}

/** The stack of the caller of `fn`: the spec line, without kspec's own frames. */
export function capture(fn: Function): Error {
  const site = new Error('kspec assertion')
  Error.captureStackTrace(site, fn)
  return site
}

function stackFrames(site: Error): string {
  const stack = site.stack ?? ''
  return stack.slice(stack.indexOf('\n') + 1)
}
