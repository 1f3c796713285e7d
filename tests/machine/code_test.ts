// The command line loads only the parts its run needs (lib/machine/code.ts):
// checked in a fresh process, since a test process may hold all of them.
import { deepStrictEqual } from "@std/assert";

const code = new URL("../../lib/machine/code.ts", import.meta.url).href;

/** Loads the parts for `needs` in a new process; returns which parts are then loaded. */
async function loadedParts(needs: string): Promise<Record<string, boolean>> {
  const script = `
    import { loadMachineCode, machineCode } from "${code}";
    await loadMachineCode(${needs});
    const has = (part) => { try { machineCode(part); return true; } catch { return false; } };
    console.log(JSON.stringify({ emu: has("emu"), kvm: has("kvm"), pc: has("pc"), kernel: has("kernel") }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=js", script],
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("machine code: a flat run on the software CPU loads neither KVM's code nor the PC", async () => {
  deepStrictEqual(await loadedParts(`{ accel: "emu", pc: false, kernel: false }`), {
    emu: true,
    kvm: false,
    pc: false,
    kernel: false,
  });
});

Deno.test("machine code: the kernel loaders load only when asked for", async () => {
  deepStrictEqual(await loadedParts(`{ accel: "emu", pc: true, kernel: false }`), {
    emu: true,
    kvm: false,
    pc: true,
    kernel: false,
  });
  deepStrictEqual(await loadedParts(`{ accel: "emu", pc: true, kernel: true }`), {
    emu: true,
    kvm: false,
    pc: true,
    kernel: true,
  });
});

Deno.test("machine code: kvm and auto load KVM's code with the software CPU (its fallback)", async () => {
  deepStrictEqual(await loadedParts(`{ accel: "kvm", pc: true, kernel: false }`), {
    emu: true,
    kvm: true,
    pc: true,
    kernel: false,
  });
  deepStrictEqual(await loadedParts(`{ accel: "auto", pc: false, kernel: false }`), {
    emu: true,
    kvm: true,
    pc: false,
    kernel: false,
  });
});
