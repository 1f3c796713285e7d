/**
 * The signals that end a run from outside (Ctrl-C, kill, a closed terminal):
 * the CLI catches them so that it can stop the guest, print the screen and
 * the output so far, and exit with 128 + the signal's number, as a process
 * killed by the signal would report.
 *
 * @module
 */

/** The signals caught, with their numbers on Linux. */
export const STOP_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/** A caught signal's name. */
export type StopSignal = keyof typeof STOP_SIGNALS;

/**
 * Calls `onSignal` with the signal's name and number for each SIGHUP, SIGINT
 * or SIGTERM until the returned function removes the listeners (until then
 * the signals no longer end the process by themselves).
 */
export function catchStopSignals(onSignal: (name: StopSignal, number: number) => void): () => void {
  const removers: (() => void)[] = [];
  for (const [name, number] of Object.entries(STOP_SIGNALS) as [StopSignal, number][]) {
    const listener = () => onSignal(name, number);
    Deno.addSignalListener(name, listener);
    removers.push(() => Deno.removeSignalListener(name, listener));
  }
  return () => {
    for (const remove of removers.splice(0)) remove();
  };
}
