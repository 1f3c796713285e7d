/**
 * Random programs for differential testing of the software CPU: loop bodies
 * of the instructions the block translator takes (used by
 * tests/emu/translate_test.ts), and whole boot sectors in which a fast timer
 * interrupts those loops while they read the timer's ports, so interrupts
 * arrive inside translated blocks and the virtual clock is read between
 * them (used by the fuzz campaign and tests/emu/interrupt_diff_test.ts).
 *
 * @module
 */

/** Registers the random code may change: AX CX DX BX SI DI (BP counts the loop, SP is the stack). */
const FREE16 = [0, 1, 2, 3, 6, 7];
/** ModRM r/m forms with DS as the segment: [BX+SI] [BX+DI] [SI] [DI] [BX]. */
const MEM_RM = [0, 1, 4, 5, 7];

/**
 * One random instruction of a loop body, as bytes: ALU, shifts, moves, LEA,
 * MOVZX/MOVSX, short branches, a CALL of a subroutine (its displacement left
 * 0 for the caller to patch), string instructions without REP, flag
 * instructions, SETcc, PUSH/POP, CMOVcc, BSWAP, PUSH r/m, LEAVE. Memory operands are [BX+SI], [BX+DI], [SI],
 * [DI] or [BX] with a disp8 in DS; BP and SP are left alone.
 *
 * `code32`: the same program for a 32-bit code segment (CS.D set). Each
 * instruction gets a 67 prefix (16-bit addressing, so the memory operands
 * stay in the data segment) and the operand-size prefix where 16-bit code
 * has none (and none where it has one), so operand sizes and immediates are
 * those of the 16-bit program; no CALL (its rel16 would need its own RET).
 */
export function randomInstruction(
  int: (n: number) => number,
  is386: boolean,
  code32 = false,
): number[] {
  const bytes = instructionBytes(int, is386, code32);
  return code32 ? [0x67, ...bytes] : bytes;
}

function instructionBytes(int: (n: number) => number, is386: boolean, code32: boolean): number[] {
  const r16 = () => FREE16[int(FREE16.length)];
  const wide = is386 && int(4) === 0;
  const o32 = wide !== code32 ? [0x66] : [];
  /** The prefix of a 16-bit operation that has no 32-bit form in the random set. */
  const p16 = code32 ? [0x66] : [];
  const mem = () => [0x40 | (int(8) << 3) | MEM_RM[int(MEM_RM.length)], int(256)]; // mod 1, disp8
  const regRm = (reg: number) => 0xc0 | (reg << 3) | r16();
  const rm = (reg: number) =>
    int(3) === 0 ? mem().map((b, i) => i === 0 ? (b & 0xc7) | (reg << 3) : b) : [regRm(reg)];
  switch (int(24)) {
    case 0: // ALU r/m, reg and reg, r/m (both sizes)
      return [...o32, (int(8) << 3) | int(4), ...rm(r16())];
    case 1: // ALU accumulator, immediate
      return int(2) ? [(int(8) << 3) | 4, int(256)] : [
        ...o32,
        (int(8) << 3) | 5,
        int(256),
        int(256),
        ...(wide ? [int(256), int(256)] : []),
      ];
    case 2: { // 80/81/83 group
      const op = [0x80, 0x81, 0x83][int(3)];
      const imm = op === 0x81 ? (wide ? 4 : 2) : 1;
      return [
        ...(op === 0x80 ? [] : o32),
        op,
        ...rm(int(8)),
        ...Array.from({ length: imm }, () => int(256)),
      ];
    }
    case 3: // INC/DEC reg
      return [...o32, (int(2) ? 0x40 : 0x48) | r16()];
    case 4: // INC/DEC r/m
      return [...o32, 0xfe | int(2), ...rm(int(2))];
    case 5: // PUSH reg / POP reg
      return [...o32, 0x50 | r16(), ...o32, 0x58 | r16()];
    case 6: { // shifts and rotates by 1, CL, or an immediate (386)
      const forms = is386 ? [0xd0, 0xd1, 0xd2, 0xd3, 0xc0, 0xc1] : [0xd0, 0xd1, 0xd2, 0xd3];
      const op = forms[int(forms.length)];
      const reg = is386 ? int(8) : [0, 1, 2, 3, 4, 5, 7][int(7)];
      return [...o32, op, ...rm(reg), ...(op < 0xd0 ? [int(40)] : [])];
    }
    case 7: // MOV r/m, reg and reg, r/m
      return [...o32, 0x88 | int(4), ...rm(r16())];
    case 8: // MOV reg, immediate
      return int(2) ? [0xb0 | int(8), int(256)] : [...p16, 0xb8 | r16(), int(256), int(256)];
    case 9: // MOV r/m, immediate
      return int(2) ? [0xc6, ...rm(0), int(256)] : [...p16, 0xc7, ...rm(0), int(256), int(256)];
    case 10: // TEST
      return int(2) ? [...o32, 0x84 | int(2), ...rm(r16())] : [0xa8, int(256)];
    case 11: // LEA
      return [...o32, 0x8d, ...mem().map((b, i) => i === 0 ? (b & 0xc7) | (r16() << 3) : b)];
    case 12: // MOVZX/MOVSX (386)
      return is386 ? [...o32, 0x0f, [0xb6, 0xb7, 0xbe, 0xbf][int(4)], ...rm(r16())] : [0x90];
    case 13: // a conditional jump over a two-byte instruction
      return [0x70 | int(16), 2, 0x40 | r16(), 0x48 | r16()];
    case 14: // a call of the subroutine (patched by the caller)
      return code32 ? [0x90] : [0xe8, 0, 0];
    case 15: { // NOT, NEG, TEST imm, MUL, CBW/CWD, XCHG
      const sub = int(5);
      if (sub === 0) return [...o32, 0x98 | int(2)];
      if (sub === 1) return [...o32, 0x86 | int(2), ...rm(r16())];
      if (sub === 2) return [...p16, 0x90 | r16()];
      const g = int(5); // /0 TEST, /2 NOT, /3 NEG, /4 MUL
      const reg = [0, 2, 3, 4, 1][g];
      const byte = int(2) === 1;
      const bytes = byte ? [0xf6, ...rm(reg)] : [...o32, 0xf7, ...rm(reg)];
      if (reg > 1) return bytes;
      return [
        ...bytes,
        ...Array.from({ length: byte ? 1 : wide ? 4 : 2 }, () => int(256)),
      ];
    }
    case 18: { // string instructions without REP (DS:SI, ES:DI in the data segment), CLD/STD
      const op = [0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf][int(10)];
      const a16 = code32 ? [0x67] : []; // after CLD/STD: the string instruction's own prefix
      return [...(int(4) === 0 ? [0xfc | int(2)] : []), ...a16, ...((op & 1) ? o32 : []), op];
    }
    case 19: // CLC/STC/CMC, then something that reads CF
      return [[0xf8, 0xf9, 0xf5][int(3)], 0x11, regRm(r16())];
    case 20: // SETcc (386), PUSH imm / POP (386)
      if (!is386) return [0x90];
      return int(2)
        ? [0x0f, 0x90 | int(16), ...rm(0)]
        : [...o32, 0x6a, int(256), ...o32, 0x58 | r16()];
    case 21: { // IMUL reg, r/m [, imm] (386)
      if (!is386) return [0x90];
      const form = int(3);
      if (form === 0) return [...o32, 0x0f, 0xaf, ...rm(r16())];
      if (form === 1) return [...o32, 0x6b, ...rm(r16()), int(256)];
      return [...o32, 0x69, ...rm(r16()), ...Array.from({ length: wide ? 4 : 2 }, () => int(256))];
    }
    case 22: // DIV/IDIV (a zero or too small divisor raises #DE)
      return int(2) ? [0xf6, ...rm(6 + int(2))] : [...o32, 0xf7, ...rm(6 + int(2))];
    case 23: { // CMOVcc, BSWAP, PUSH r/m then POP, a LEAVE of a frame (386)
      if (!is386) return [0x90];
      const form = int(4);
      if (form === 0) return [...o32, 0x0f, 0x40 | int(16), ...rm(r16())];
      if (form === 1) return [...o32, 0x0f, 0xc8 | r16()];
      if (form === 2) return [...o32, 0xff, ...rm(6), ...o32, 0x58 | r16()];
      // push bp; mov bp, sp; push reg; leave (BP, the loop's counter, comes back)
      return [...o32, 0x55, ...o32, 0x89, 0xe5, ...o32, 0x50 | r16(), ...o32, 0xc9];
    }
    case 16: // MOV moffs
      return [...o32, 0xa0 | int(4), int(256), int(256)];
    default: { // a carry chain: CMP, then ADC/SBB of equal operands (the edge case), then ADC
      const a = r16(), b = r16();
      const sbb = int(2) ? 0x19 : 0x11;
      return [
        0x39,
        regRm(r16()),
        0x89,
        0xc0 | (a << 3) | b,
        ...o32,
        sbb,
        0xc0 | (a << 3) | b,
        0x11,
        regRm(r16()),
      ];
    }
  }
}

/** Instructions that read the timer's ports or the VGA status, and toggle IF around one. */
function timerRead(int: (n: number) => number): number[] {
  switch (int(6)) {
    case 0:
      return [0xe4, 0x40]; // in al, 0x40: channel 0's count
    case 1:
      return [0xe4, 0x61]; // in al, 0x61: port B (channel 2's OUT, refresh toggle)
    case 2:
      return [0x52, 0xba, 0xda, 0x03, 0xec, 0x5a]; // push dx; mov dx, 0x3da; in al, dx; pop dx
    case 3:
      return [0xb0, 0x00, 0xe6, 0x43, 0xe4, 0x40, 0xe4, 0x40]; // latch channel 0, read it
    case 4:
      return [0xfa, 0x90 | [0, 1, 3][int(3)], 0xfb]; // cli; xchg ax, reg; sti (a shadow)
    default:
      return [0xf4]; // hlt: wait for the next tick
  }
}

/**
 * A boot sector in which PIT channel 0 runs at a random fast rate (a tick
 * every 20 to 600 instructions) into its own IRQ 0 handler, which reads a
 * timer port, adds what it read to a sum and counts the tick; meanwhile a
 * loop of random instructions (see {@link randomInstruction}) mixed with
 * reads of port 0x40, 0x61 and 0x3DA, CLI/STI pairs and HLTs runs
 * thousands of times over a patterned data segment at 1000:0000. Interrupts
 * then arrive at every place in translated blocks, and what the guest
 * computes depends on the exact instruction at which each one came.
 */
export function timerLoopSector(int: (n: number) => number): Uint8Array {
  const divisor = 20 + int(580);
  // deno-fmt-ignore
  const code: number[] = [
    0xfa,                                     // cli
    0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0,       // xor ax, ax; mov ds, ax; mov ss, ax
    0xbc, 0x00, 0x70,                         // mov sp, 0x7000
    0xc7, 0x06, 0x20, 0x00, 0, 0,             // mov word [0x20], handler (patched)
    0xc7, 0x06, 0x22, 0x00, 0x00, 0x00,       // mov word [0x22], 0
    0xb0, int(2) ? 0x34 : 0x36, 0xe6, 0x43,   // channel 0, mode 2 or 3
    0xb0, divisor & 0xff, 0xe6, 0x40,         // the divisor, low byte
    0xb0, divisor >> 8, 0xe6, 0x40,           // and high byte
    0xb0, 0xfe, 0xe6, 0x21,                   // only IRQ 0
    0xb8, 0x00, 0x10, 0x8e, 0xd8, 0x8e, 0xc0, // ds = es = 0x1000
    0xb9, 0x00, 0x80, 0x31, 0xff,             // mov cx, 0x8000; xor di, di
    0xb8, int(256), int(256),                 // mov ax, imm
    0xab, 0x05, 0x37, 0x9e, 0xe2, 0xfa,       // l: stosw; add ax, 0x9e37; loop l
    0xfb,                                     // sti
  ];
  const iterations = 200 + int(2000);
  code.push(0xbd, iterations & 0xff, iterations >> 8); // mov bp, n
  const loopStart = code.length;
  const calls: number[] = [];
  const length = 1 + int(16);
  for (let i = 0; i < length; i++) {
    const ins = int(4) === 0 ? timerRead(int) : randomInstruction(int, true);
    if (ins[0] === 0xe8) calls.push(code.length);
    code.push(...ins);
  }
  code.push(0x4d, 0x0f, 0x85, 0, 0); // dec bp; jnz near loop
  const back = loopStart - code.length;
  code[code.length - 2] = back & 0xff;
  code[code.length - 1] = (back >> 8) & 0xff;
  code.push(0xfa, 0xf4); // cli; hlt
  const sub = code.length;
  code.push(0xd1, 0xe0, 0x83, 0xd2, 0x00, 0xc3); // shl ax, 1; adc dx, 0; ret
  for (const at of calls) {
    const d = sub - (at + 3);
    code[at + 1] = d & 0xff;
    code[at + 2] = (d >> 8) & 0xff;
  }
  const handler = code.length;
  const sum = 0x7c00 + handler + 21; // after the handler's 21 bytes: the sum, then the tick count
  // deno-fmt-ignore
  code.push(
    0x50, 0x52,                                          // push ax; push dx
    0xe4, int(2) ? 0x40 : 0x61,                          // in al, 0x40 or 0x61
    0x2e, 0x00, 0x06, sum & 0xff, sum >> 8,              // add [cs:sum], al
    0x2e, 0xff, 0x06, (sum + 2) & 0xff, (sum + 2) >> 8,  // inc word [cs:sum + 2]
    0xb0, 0x20, 0xe6, 0x20,                              // EOI
    0x5a, 0x58, 0xcf,                                    // pop dx; pop ax; iret
    0, 0, 0, 0,                                          // sum, ticks
  );
  const at = 0x7c00 + handler;
  code[14] = at & 0xff;
  code[15] = at >> 8;
  if (code.length > 510) throw new Error(`timer loop of ${code.length} bytes`);
  const sector = new Uint8Array(512);
  sector.set(code);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}
