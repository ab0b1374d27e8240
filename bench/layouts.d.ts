/** Types of bench/layouts.js, for the tests that import it. */
export declare const LAYOUTS: Record<string, { header: string; line: (i: number) => string }>
export declare function generate(layout: string, bytes: number): string
