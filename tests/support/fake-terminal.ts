// A terminal stand-in for the live display's tests.
import { strictEqual } from "@std/assert";

/**
 * A small terminal for the tests: it applies cursor moves, erase, SGR, the private modes the
 * live display uses and printable characters to a grid, and records everything written.
 */
export class FakeTerminal {
  grid: { ch: string; sgr: string }[][];
  row = 0;
  column = 0;
  sgr = "0";
  cursorVisible = true;
  cursorShape = 0;
  altScreen = false;
  autowrap = true;
  written = "";
  writes = 0;

  constructor(readonly columns = 80, readonly rows = 25) {
    this.grid = this.#blank();
  }

  #blank() {
    return Array.from(
      { length: this.rows },
      () => Array.from({ length: this.columns }, () => ({ ch: " ", sgr: "0" })),
    );
  }

  writeSync(bytes: Uint8Array): number {
    this.writes++;
    this.apply(new TextDecoder().decode(bytes));
    return bytes.length;
  }

  apply(text: string): void {
    this.written += text;
    const chars = [...text];
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i];
      if (ch !== "\x1b") {
        if (this.row < this.rows && this.column < this.columns) {
          this.grid[this.row][this.column] = { ch, sgr: this.sgr };
        }
        if (this.column < this.columns - 1 || this.autowrap) this.column++;
        continue;
      }
      if (chars[i + 1] !== "[") {
        throw new Error(`unexpected escape ${JSON.stringify(chars[i + 1])}`);
      }
      let j = i + 2;
      let params = "";
      while (!/[@-~]/.test(chars[j])) params += chars[j++];
      const final = chars[j];
      i = j;
      if (final === "H") {
        const [r, c] = params.split(";").map(Number);
        this.row = r - 1;
        this.column = c - 1;
      } else if (final === "J") {
        strictEqual(params, "2");
        this.grid = this.#blank();
      } else if (final === "m") {
        this.sgr = params;
      } else if (final === "q") {
        this.cursorShape = Number(params.trim());
      } else if (final === "h" || final === "l") {
        const on = final === "h";
        if (params === "?25") this.cursorVisible = on;
        else if (params === "?1049") this.altScreen = on;
        else if (params === "?7") this.autowrap = on;
        else throw new Error(`unexpected mode ${params}`);
      } else {
        throw new Error(`unexpected sequence ${params}${final}`);
      }
    }
  }

  /** The text of a row, trailing spaces trimmed. */
  text(row: number): string {
    return this.grid[row].map((c) => c.ch).join("").trimEnd();
  }
}
