/** A command line kspec cannot act on: exit code 2, message says what to type instead. */
export class UsageError extends Error {
  override name = 'UsageError'
  constructor(problem: string, fix: string) {
    super(`${problem}${problem.includes("\n") ? "\n" : ": "}${fix}`)
  }
}
