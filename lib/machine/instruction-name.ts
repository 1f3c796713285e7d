/**
 * The mnemonic of an x86 instruction from its first bytes, for crash reports
 * ("KVM could not emulate ... daa"). Names only, no operands: prefixes are
 * skipped, group opcodes are told apart by the ModRM reg field, and the rest
 * of the two-byte map names the instructions system code meets.
 *
 * @module
 */

const ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"];
const SHIFT = ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"];
const GROUP3 = ["test", "test", "not", "neg", "mul", "imul", "div", "idiv"];
const BAD = "(bad)";
const GROUP4 = ["inc", "dec", BAD, BAD, BAD, BAD, BAD, BAD];
const GROUP5 = ["inc", "dec", "call", "call far", "jmp", "jmp far", "push", BAD];
const CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

/** One-byte opcodes without a ModRM group, by opcode. */
const ONE_BYTE: Record<number, string> = {
  0x06: "push es",
  0x07: "pop es",
  0x0e: "push cs",
  0x16: "push ss",
  0x17: "pop ss",
  0x1e: "push ds",
  0x1f: "pop ds",
  0x27: "daa",
  0x2f: "das",
  0x37: "aaa",
  0x3f: "aas",
  0x60: "pusha",
  0x61: "popa",
  0x62: "bound",
  0x63: "arpl",
  0x68: "push",
  0x69: "imul",
  0x6a: "push",
  0x6b: "imul",
  0x6c: "insb",
  0x6d: "insw",
  0x6e: "outsb",
  0x6f: "outsw",
  0x84: "test",
  0x85: "test",
  0x86: "xchg",
  0x87: "xchg",
  0x8c: "mov",
  0x8d: "lea",
  0x8e: "mov",
  0x8f: "pop",
  0x90: "nop",
  0x98: "cbw",
  0x99: "cwd",
  0x9a: "call far",
  0x9b: "wait",
  0x9c: "pushf",
  0x9d: "popf",
  0x9e: "sahf",
  0x9f: "lahf",
  0xa4: "movsb",
  0xa5: "movsw",
  0xa6: "cmpsb",
  0xa7: "cmpsw",
  0xa8: "test",
  0xa9: "test",
  0xaa: "stosb",
  0xab: "stosw",
  0xac: "lodsb",
  0xad: "lodsw",
  0xae: "scasb",
  0xaf: "scasw",
  0xc2: "ret",
  0xc3: "ret",
  0xc4: "les",
  0xc5: "lds",
  0xc6: "mov",
  0xc7: "mov",
  0xc8: "enter",
  0xc9: "leave",
  0xca: "retf",
  0xcb: "retf",
  0xcc: "int3",
  0xcd: "int",
  0xce: "into",
  0xcf: "iret",
  0xd4: "aam",
  0xd5: "aad",
  0xd6: "salc",
  0xd7: "xlat",
  0xe0: "loopne",
  0xe1: "loope",
  0xe2: "loop",
  0xe3: "jcxz",
  0xe4: "in",
  0xe5: "in",
  0xe6: "out",
  0xe7: "out",
  0xe8: "call",
  0xe9: "jmp",
  0xea: "jmp far",
  0xeb: "jmp",
  0xec: "in",
  0xed: "in",
  0xee: "out",
  0xef: "out",
  0xf1: "int1",
  0xf4: "hlt",
  0xf5: "cmc",
  0xf8: "clc",
  0xf9: "stc",
  0xfa: "cli",
  0xfb: "sti",
  0xfc: "cld",
  0xfd: "std",
};

/** Two-byte (0F xx) opcodes without a ModRM group. */
const TWO_BYTE: Record<number, string> = {
  0x06: "clts",
  0x08: "invd",
  0x09: "wbinvd",
  0x0b: "ud2",
  0x20: "mov from cr",
  0x21: "mov from dr",
  0x22: "mov to cr",
  0x23: "mov to dr",
  0x30: "wrmsr",
  0x31: "rdtsc",
  0x32: "rdmsr",
  0xa0: "push fs",
  0xa1: "pop fs",
  0xa2: "cpuid",
  0xa3: "bt",
  0xa4: "shld",
  0xa5: "shld",
  0xa8: "push gs",
  0xa9: "pop gs",
  0xab: "bts",
  0xac: "shrd",
  0xad: "shrd",
  0xaf: "imul",
  0xb0: "cmpxchg",
  0xb1: "cmpxchg",
  0xb3: "btr",
  0xb6: "movzx",
  0xb7: "movzx",
  0xbb: "btc",
  0xbc: "bsf",
  0xbd: "bsr",
  0xbe: "movsx",
  0xbf: "movsx",
  0xc0: "xadd",
  0xc1: "xadd",
};
const GROUP6 = ["sldt", "str", "lldt", "ltr", "verr", "verw", BAD, BAD];
const GROUP7 = ["sgdt", "sidt", "lgdt", "lidt", "smsw", BAD, "lmsw", "invlpg"];
const GROUP8 = [BAD, BAD, BAD, BAD, "bt", "bts", "btr", "btc"];

/** The mnemonic of the instruction starting at `bytes[0]`, or undefined when unknown. */
export function instructionName(bytes: Uint8Array): string | undefined {
  let i = 0;
  let rep = "";
  while (i < bytes.length && PREFIXES.has(bytes[i])) {
    if (bytes[i] === 0xf3) rep = "rep ";
    if (bytes[i] === 0xf2) rep = "repne ";
    i++;
  }
  if (i >= bytes.length) return undefined;
  const op = bytes[i];
  const reg = i + 1 < bytes.length ? (bytes[i + 1] >> 3) & 7 : undefined;
  const byReg = (names: string[]) => reg === undefined ? undefined : names[reg];
  if (op === 0x0f) return twoByteName(bytes.subarray(i + 1));
  const string = (op >= 0xa4 && op <= 0xaf) || (op >= 0x6c && op <= 0x6f);
  if (ONE_BYTE[op] !== undefined) return (string ? rep : "") + ONE_BYTE[op];
  if (op < 0x40 && (op & 7) < 6) return ALU[op >> 3];
  if (op < 0x50) return op < 0x48 ? "inc" : "dec";
  if (op < 0x60) return op < 0x58 ? "push" : "pop";
  if (op >= 0x70 && op < 0x80) return "j" + CC[op & 15];
  if (op >= 0x80 && op <= 0x83) return byReg(ALU);
  if (op >= 0x88 && op <= 0x8b) return "mov";
  if (op >= 0x91 && op <= 0x97) return "xchg";
  if ((op >= 0xa0 && op <= 0xa3) || (op >= 0xb0 && op <= 0xbf)) return "mov";
  if (op === 0xc0 || op === 0xc1 || (op >= 0xd0 && op <= 0xd3)) return byReg(SHIFT);
  if (op >= 0xd8 && op <= 0xdf) return "x87 (esc)";
  if (op === 0xf6 || op === 0xf7) return byReg(GROUP3);
  if (op === 0xfe) return byReg(GROUP4);
  if (op === 0xff) return byReg(GROUP5);
  return undefined;
}

function twoByteName(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return undefined;
  const op = bytes[0];
  const reg = bytes.length > 1 ? (bytes[1] >> 3) & 7 : undefined;
  if (TWO_BYTE[op] !== undefined) return TWO_BYTE[op];
  if (op === 0x00 && reg !== undefined) return GROUP6[reg];
  if (op === 0x01 && reg !== undefined) return GROUP7[reg];
  if (op === 0xba && reg !== undefined) return GROUP8[reg];
  if (op >= 0x40 && op < 0x50) return "cmov" + CC[op & 15];
  if (op >= 0x80 && op < 0x90) return "j" + CC[op & 15];
  if (op >= 0x90 && op < 0xa0) return "set" + CC[op & 15];
  if (op >= 0xc8 && op <= 0xcf) return "bswap";
  return undefined;
}

/** "daa (27)", or just the bytes when the name is unknown. */
export function describeInstruction(bytes: Uint8Array): string {
  if (bytes.length === 0) return "bytes not in guest RAM";
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
  const name = instructionName(bytes);
  return name === undefined ? `bytes ${hex}` : `${name}, bytes ${hex}`;
}
