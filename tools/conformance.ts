/**
 * Runs the SingleStepTests 8086 suite against the software CPU's 8086 model.
 *
 * For each test: one 1 MiB RAM slot at 0, the initial RAM and registers
 * loaded through the public vCPU API, exactly one instruction executed
 * (`EmuVcpu.step`, IN reads 0xFF), then every register (masked by the
 * opcode's flags mask for FLAGS) and every listed final RAM byte compared.
 * Opcodes whose status is "undefined" or "fpu" are run but not compared.
 *
 * Each test runs twice: on the interpreter, and as a one-instruction block
 * of the translator (`--mode interpret|translate|both`, default both).
 *
 * Usage: deno task conformance [--filter F6.7] [--show 5] [--mode both]
 * The data directory defaults to ../shared/conformance/sst-8086 beside the
 * repository; PICOVMM_SST_DIR overrides it.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { type EmuVcpu, EmuVm } from "../lib/emu/mod.ts";
import { KvmRegs, KvmSregs } from "../lib/kvm/structs.ts";

const REGS = [
  "ax",
  "bx",
  "cx",
  "dx",
  "cs",
  "ss",
  "ds",
  "es",
  "sp",
  "bp",
  "si",
  "di",
  "ip",
  "flags",
] as const;
type Reg = typeof REGS[number];
type Regs = Record<Reg, number>;

interface State {
  regs: Partial<Regs>;
  ram: [number, number][];
}
interface Test {
  name: string;
  bytes: number[];
  initial: State & { regs: Regs };
  final: State;
}
interface OpMeta {
  status?: string;
  "flags-mask"?: number;
  reg?: Record<string, OpMeta>;
}

const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf1, 0xf2, 0xf3]);
const COMPARED = new Set(["normal", "alias", "undocumented"]);

/** The data directory: PICOVMM_SST_DIR, else ../shared/conformance/sst-8086 from the repo root. */
function dataDir(): string {
  let env: string | undefined;
  try {
    env = Deno.env.get("PICOVMM_SST_DIR");
  } catch {
    env = undefined; // no --allow-env: use the default
  }
  if (env) return env;
  return new URL("../../shared/conformance/sst-8086", import.meta.url).pathname;
}

async function readGzipJson<T>(path: string): Promise<T> {
  const file = await Deno.open(path);
  const text = await new Response(
    file.readable.pipeThrough(new DecompressionStream("gzip")),
  ).text();
  return JSON.parse(text) as T;
}

/** Status and flags mask of a test, from the opcode (and ModRM reg for groups). */
function metaOf(meta: Record<string, OpMeta>, bytes: number[]): { status: string; mask: number } {
  let i = 0;
  while (i < bytes.length - 1 && PREFIXES.has(bytes[i])) i++;
  const key = bytes[i].toString(16).toUpperCase().padStart(2, "0");
  let m = meta[key] ?? {};
  if (m.reg !== undefined) m = m.reg[String((bytes[i + 1] >> 3) & 7)] ?? {};
  return { status: m.status ?? "normal", mask: m["flags-mask"] ?? 0xffff };
}

/** Loads a test's initial state into the vCPU and RAM. */
function load(vcpu: EmuVcpu, ram: Uint8Array, t: Test): void {
  for (const [a, v] of t.initial.ram) ram[a] = v;
  const r = t.initial.regs;
  const regs = new KvmRegs();
  regs.set("rax", r.ax);
  regs.set("rbx", r.bx);
  regs.set("rcx", r.cx);
  regs.set("rdx", r.dx);
  regs.set("rsp", r.sp);
  regs.set("rbp", r.bp);
  regs.set("rsi", r.si);
  regs.set("rdi", r.di);
  regs.set("rip", r.ip);
  regs.set("rflags", r.flags);
  vcpu.setRegs(regs);
  const s = new KvmSregs();
  s.cs.setRealMode(r.cs, true);
  s.ds.setRealMode(r.ds);
  s.es.setRealMode(r.es);
  s.ss.setRealMode(r.ss);
  s.fs.setRealMode(0);
  s.gs.setRealMode(0);
  s.idt.limit = 0x3ff;
  s.gdt.limit = 0xffff;
  vcpu.setSregs(s);
}

/** Executes one instruction, answering IN with 0xFF. */
function execOne(vcpu: EmuVcpu): void {
  for (let guard = 0; guard < 16; guard++) {
    const exit = vcpu.step();
    if (exit.kind === "io" && !exit.isWrite) {
      exit.data.fill(0xff);
      continue;
    }
    return;
  }
}

function current(vcpu: EmuVcpu): Regs {
  const r = vcpu.getRegs();
  const s = vcpu.getSregs();
  return {
    ax: r.get32("rax") & 0xffff,
    bx: r.get32("rbx") & 0xffff,
    cx: r.get32("rcx") & 0xffff,
    dx: r.get32("rdx") & 0xffff,
    sp: r.get32("rsp") & 0xffff,
    bp: r.get32("rbp") & 0xffff,
    si: r.get32("rsi") & 0xffff,
    di: r.get32("rdi") & 0xffff,
    ip: r.get32("rip") & 0xffff,
    flags: r.get32("rflags") & 0xffff,
    cs: s.cs.selector,
    ds: s.ds.selector,
    es: s.es.selector,
    ss: s.ss.selector,
  };
}

const hex = (v: number) => v.toString(16).padStart(4, "0");

/** Compares the outcome; returns the differences (empty when it passed). */
function compare(vcpu: EmuVcpu, ram: Uint8Array, t: Test, mask: number): string[] {
  const diffs: string[] = [];
  const got = current(vcpu);
  for (const name of REGS) {
    const want = t.final.regs[name] ?? t.initial.regs[name];
    const m = name === "flags" ? mask : 0xffff;
    if ((got[name] & m) !== (want & m)) {
      diffs.push(`${name}: got ${hex(got[name])} want ${hex(want)}`);
    }
  }
  for (const [a, v] of t.final.ram) {
    if (ram[a] !== v) diffs.push(`[${a.toString(16)}]: got ${ram[a]} want ${v}`);
  }
  return diffs;
}

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      filter: { type: "string" },
      show: { type: "string", default: "0" },
      mode: { type: "string", default: "both" },
    },
  });
  const modes = values.mode === "both" ? ["interpret", "translate"] : [values.mode];
  if (!modes.every((m) => m === "interpret" || m === "translate")) {
    console.error("--mode is interpret, translate or both");
    return 2;
  }
  const show = Number(values.show) || 0;
  const dir = dataDir();
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json.gz"));
  } catch {
    console.error(`conformance data not found at ${dir} (set PICOVMM_SST_DIR)`);
    return 1;
  }
  names.sort();
  if (values.filter) names = names.filter((n) => n.startsWith(values.filter + "."));
  const meta = (JSON.parse(await Deno.readTextFile(`${dir}/metadata.json`)) as {
    opcodes: Record<string, OpMeta>;
  }).opcodes;

  // The interpreter alone, and the translator on every instruction (one per block).
  const machines = modes.map((mode) => {
    const vm = new EmuVm(
      "8086",
      mode === "translate" ? { threshold: 1, maxInstructions: 1, maxRegion: 1 } : null,
    );
    const ram = vm.addMemory(0, 0x100000);
    return { mode, vm, ram, vcpu: vm.createVcpu() };
  });
  const byStatus: Record<string, Tally> = {};
  const total: Tally = { passed: 0, failed: 0, skipped: 0 };
  const failingFiles: string[] = [];
  let shown = 0;
  const started = performance.now();

  for (const file of names) {
    const tests = await readGzipJson<Test[]>(`${dir}/${file}`);
    const tally: Tally = { passed: 0, failed: 0, skipped: 0 };
    for (const t of tests) {
      const { status, mask } = metaOf(meta, t.bytes);
      for (const { mode, vm, ram, vcpu } of machines) {
        load(vcpu, ram, t);
        vm.forgetTranslations(); // the RAM was rewritten behind the CPU's back
        execOne(vcpu);
        const st = byStatus[status] ??= { passed: 0, failed: 0, skipped: 0 };
        if (!COMPARED.has(status)) {
          tally.skipped++;
          st.skipped++;
        } else {
          const diffs = compare(vcpu, ram, t, mask);
          if (diffs.length === 0) {
            tally.passed++;
            st.passed++;
          } else {
            tally.failed++;
            st.failed++;
            if (shown < show) {
              shown++;
              console.log(
                `FAIL ${file} (${mode}) "${t.name}" bytes ${t.bytes.map((b) => hex(b).slice(2))}`,
              );
              console.log(`  initial ${JSON.stringify(t.initial.regs)}`);
              for (const d of diffs) console.log(`  ${d}`);
            }
          }
        }
        // Zero what the test touched so the next one starts from clean RAM.
        for (const [a] of t.initial.ram) ram[a] = 0;
        for (const [a] of t.final.ram) ram[a] = 0;
      }
    }
    total.passed += tally.passed;
    total.failed += tally.failed;
    total.skipped += tally.skipped;
    if (tally.failed > 0) failingFiles.push(file);
    const compared = tally.passed + tally.failed;
    const rate = compared === 0 ? "not compared" : `${(100 * tally.passed / compared).toFixed(1)}%`;
    console.log(
      `${file.replace(".json.gz", "").padEnd(5)} ${String(tally.passed).padStart(4)}/${
        String(compared).padStart(4)
      } ${rate}${tally.skipped ? ` (${tally.skipped} not compared)` : ""}`,
    );
  }
  for (const { mode, vcpu } of machines) {
    if (mode === "translate") console.log(`blocks translated: ${vcpu.cpu.blocks?.translated ?? 0}`);
  }
  console.log("");
  for (const [status, t] of Object.entries(byStatus)) {
    console.log(
      `${status.padEnd(13)} passed ${t.passed}, failed ${t.failed}, not compared ${t.skipped}`,
    );
  }
  if (failingFiles.length > 0) console.log(`failing files: ${failingFiles.join(" ")}`);
  console.log(`time ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${total.passed} passed, ${total.failed} failed`);
  return total.failed > 0 ? 1 : 0;
}

Deno.exit(await main());
