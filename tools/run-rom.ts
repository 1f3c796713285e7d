// Runs a BIOS-replacement ROM (such as test386.asm's test386.bin) on the
// software CPU: the image (64 or 128 KiB) at the top of the first MiB and
// aliased below 4 GiB, RAM under it, execution from F000:FFF0 as after reset.
// Port 0xE9's bytes go to stdout; the POST codes written to port 0x190 (or
// --post-port) are listed on stderr when the ROM halts.
//
//   deno run -A tools/run-rom.ts [--interpret] [--post-port N] IMAGE
import { EmuVm } from "../lib/emu/mod.ts";
import { KvmSregs } from "../lib/kvm/structs.ts";

const argv = [...Deno.args];
const interpret = take("--interpret");
const portAt = argv.indexOf("--post-port");
const postPort = portAt >= 0 ? Number(argv.splice(portAt, 2)[1]) : 0x190;
const file = argv[0];
if (argv.length !== 1 || !Number.isInteger(postPort)) {
  console.error("usage: run-rom.ts [--interpret] [--post-port N] IMAGE");
  Deno.exit(2);
}
const rom = Deno.readFileSync(file);
if (rom.length !== 0x10000 && rom.length !== 0x20000) {
  console.error(`run-rom: ${file} is ${rom.length} bytes, not 64 or 128 KiB`);
  Deno.exit(2);
}

const vm = new EmuVm("386", interpret ? null : {});
const low = 0x100000 - rom.length;
vm.addMemory(0, low);
vm.addMemory(low, rom.length, { readonly: true }).set(rom);
vm.addMemory(0x100000000 - rom.length, rom.length, { readonly: true }).set(rom);
const vcpu = vm.createVcpu();
const s = new KvmSregs();
s.cs.setRealMode(0xf000, true);
s.cs.base = 0xffff0000n; // the reset state: CS base at the top of the address space
for (const n of ["ds", "es", "ss", "fs", "gs"] as const) s[n].setRealMode(0);
s.idt.limit = 0x3ff;
s.gdt.limit = 0xffff;
s.setControl("cr0", 0x60000010);
vcpu.setSregs(s);
const regs = vcpu.getRegs();
regs.set("rip", 0xfff0);
regs.set("rflags", 2);
vcpu.setRegs(regs);

const posts: number[] = [];
// Written in large pieces: a ROM prints byte by byte, one exit each.
const out = new Uint8Array(0x10000);
let outLen = 0;
const flush = () => {
  Deno.stdout.writeSync(out.subarray(0, outLen));
  outLen = 0;
};
let status = 0;
for (;;) {
  const e = vcpu.run();
  if (e.kind === "io") {
    if (e.isWrite && e.port === postPort) posts.push(e.data[0]);
    else if (e.isWrite && e.port === 0xe9) {
      const n = e.count * e.size;
      if (outLen + n > out.length) flush();
      out.set(e.data.subarray(0, n), outLen);
      outLen += n;
    } else if (!e.isWrite) e.data.fill(0xff); // nothing answers
    continue;
  }
  if (e.kind === "mmio") {
    if (!e.isWrite) e.data.fill(0xff);
    continue;
  }
  if (e.kind === "intr") continue;
  if (e.kind !== "hlt") {
    console.error(`run-rom: stopped: ${e.kind}`);
    status = 1;
  }
  break;
}
flush();
const hex = (v: number) => v.toString(16).toUpperCase().padStart(2, "0");
console.error(`POST codes: ${posts.map(hex).join(" ")}`);
console.error(
  `last POST ${
    posts.length > 0 ? hex(posts[posts.length - 1]) : "none"
  }, ${vcpu.instructions} instructions`,
);
Deno.exit(status);

/** Removes flag `name` from the arguments; true when it was there. */
function take(name: string): boolean {
  const i = argv.indexOf(name);
  if (i >= 0) argv.splice(i, 1);
  return i >= 0;
}
