// lib/cli/parse-args.ts against Node's util.parseArgs: the same values, positionals and error
// messages for every case, with picovmm's options and a short string option.
import { deepStrictEqual } from "@std/assert";
import { parseArgs as nodeParseArgs } from "node:util";
import { parseArgs } from "../../lib/cli/parse-args.ts";

const OPTIONS = {
  accel: { type: "string", default: "auto" },
  "drive-type": { type: "string" },
  "no-signature-check": { type: "boolean", default: false },
  timeout: { type: "string" },
  output: { type: "string", short: "o" },
  trace: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", short: "V", default: false },
} as const;

const CASES: string[][] = [
  [],
  ["disk.img"],
  ["--accel", "emu", "disk.img"],
  ["--accel=kvm", "a", "b"],
  ["--accel=", "x"],
  ["--accel"],
  ["--accel", "--trace"],
  ["--accel", "-"],
  ["--timeout=-3", "x"],
  ["--timeout", "-3", "x"],
  ["--trace=yes"],
  ["--trace", "--trace"],
  ["--accel", "emu", "--accel", "kvm"],
  ["--nope"],
  ["--nope=1"],
  ["-x"],
  ["-h"],
  ["-hV"],
  ["-Vh", "img"],
  ["-hx"],
  ["-o", "file.png"],
  ["-ofile.png"],
  ["-hofile.png"],
  ["-o"],
  ["-o", "-h"],
  ["-", "img"],
  ["--", "--accel", "-h"],
  ["img", "--", "--"],
  ["--drive-type", "hdd", "--no-signature-check", "img"],
  ["--help", "--version"],
  ["--h"],
  ["---x"],
  ["--=x"],
];

function outcome(parse: () => { values: object; positionals: string[] }): unknown {
  try {
    const { values, positionals } = parse();
    return { values: { ...values }, positionals };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

Deno.test("parse-args gives what node:util's parseArgs gives, case by case", () => {
  for (const args of CASES) {
    for (const allowPositionals of [true, false]) {
      const ours = outcome(() =>
        parseArgs({ args, options: OPTIONS, allowPositionals, strict: true })
      );
      const node = outcome(() =>
        nodeParseArgs({ args, options: OPTIONS, allowPositionals, strict: true })
      );
      deepStrictEqual(
        ours,
        node,
        `${JSON.stringify(args)} (allowPositionals: ${allowPositionals})`,
      );
    }
  }
});
