// Starts the picovmm command line as a running child, for tests that act on it
// while the guest runs (signals, a terminal).
const root = new URL("../../", import.meta.url).pathname;

/** A running picovmm whose stdout is read as it comes. */
export class RunningPicovmm {
  readonly child: Deno.ChildProcess;
  stdout = "";
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();

  /** Starts `command args` (default: deno running main.ts with `args`). */
  constructor(args: string[], command?: { program: string; args: string[] }) {
    this.child = new Deno.Command(command?.program ?? Deno.execPath(), {
      args: command?.args ?? ["run", "--allow-all", "--no-check", `${root}main.ts`, ...args],
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#reader = this.child.stdout.getReader();
  }

  /** Reads stdout until it contains `text` (rejects after `timeoutMs` or at its end). */
  async waitFor(text: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stdout.includes(text)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no ${JSON.stringify(text)} on stdout: ${this.stdout}`)),
          Math.max(0, deadline - Date.now()),
        );
      });
      try {
        const { value, done } = await Promise.race([this.#reader.read(), timeout]);
        if (done) throw new Error(`stdout ended without ${JSON.stringify(text)}: ${this.stdout}`);
        this.stdout += this.#decoder.decode(value, { stream: true });
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** Waits for the end: exit code, all of stdout and stderr. */
  async finish(): Promise<{ code: number; stdout: string; stderr: string }> {
    const stderr = new Response(this.child.stderr).text();
    for (;;) {
      const { value, done } = await this.#reader.read();
      if (done) break;
      this.stdout += this.#decoder.decode(value, { stream: true });
    }
    const status = await this.child.status;
    return { code: status.code, stdout: this.stdout, stderr: await stderr };
  }
}
