// Mnemonics for crash reports, from the first bytes of an instruction.
import { deepStrictEqual, strictEqual } from "@std/assert";
import { describeInstruction, instructionName } from "../../lib/machine/instruction-name.ts";

Deno.test("instruction names: one-byte, group, prefixed and two-byte opcodes", () => {
  const cases: [number[], string | undefined][] = [
    [[0x27], "daa"],
    [[0x00, 0x00], "add"],
    [[0x80, 0xf8, 0x01], "cmp"], // group 1, reg 7
    [[0xd1, 0xe0], "shl"], // group 2, reg 4
    [[0xf7, 0xf3], "div"], // group 3, reg 6
    [[0xff, 0xd0], "call"], // group 5, reg 2
    [[0xf3, 0xa4], "rep movsb"],
    [[0x66, 0x2e, 0x0f, 0x01, 0x1e, 0, 0], "lidt"],
    [[0x0f, 0xa2], "cpuid"],
    [[0x0f, 0x84, 0, 0], "je"],
    [[0x0f, 0x44, 0xc0], "cmove"],
    [[0x74, 0x00], "je"],
    [[0xc8, 4, 0, 1], "enter"],
    [[0x0f, 0xff], undefined],
    [[0x66], undefined],
  ];
  deepStrictEqual(
    cases.map(([bytes]) => instructionName(new Uint8Array(bytes))),
    cases.map(([, name]) => name),
  );
});

Deno.test("instruction names: the report shows the bytes, with the name where known", () => {
  strictEqual(describeInstruction(new Uint8Array([0x27, 0xf4])), "daa, bytes 27 f4");
  strictEqual(describeInstruction(new Uint8Array([0x0f, 0xff])), "bytes 0f ff");
  strictEqual(describeInstruction(new Uint8Array(0)), "bytes not in guest RAM");
});
