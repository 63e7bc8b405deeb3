/** `@twofa/cli` as a library: the `twofa` command's entry point, for embedding and in-process tests. */
export type { Command } from './command.ts';
export { CliError } from './errors.ts';
export type { Clock, IO, Output } from './io.ts';
export { systemClock } from './io.ts';
export { COMMANDS, run } from './run.ts';
