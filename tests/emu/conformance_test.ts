import { deepStrictEqual as assertEquals } from "@std/assert";

const RUNNER = new URL("../../tools/conformance.ts", import.meta.url).pathname;

async function gzipJson(path: string, value: unknown): Promise<void> {
  const stream = new Blob([JSON.stringify(value)]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  await Deno.writeFile(path, new Uint8Array(await new Response(stream).arrayBuffer()));
}

const REGS = {
  ax: 0x1234,
  bx: 0,
  cx: 0,
  dx: 0,
  cs: 0x100,
  ss: 0,
  ds: 0,
  es: 0,
  sp: 0x100,
  bp: 0,
  si: 0,
  di: 0,
  ip: 0x10,
  flags: 0xf002,
};

function test(bytes: number[], final: Record<string, number>) {
  return {
    name: "t",
    bytes,
    initial: { regs: REGS, ram: bytes.map((b, i) => [0x1010 + i, b]) },
    final: { regs: final, ram: [] },
  };
}

Deno.test("the conformance runner compares registers with the flags mask and reports failures", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/metadata.json`,
      JSON.stringify({
        opcodes: {
          "40": { status: "normal", "flags-mask": 0xffef }, // AF undefined here, for the test
          "90": { status: "normal" },
          "D8": { status: "fpu" },
        },
      }),
    );
    // INC AX: 0x1235 (PF set; the expected AF differs but is masked); a wrong IP in the second.
    await gzipJson(`${dir}/40.json.gz`, [
      test([0x40], { ax: 0x1235, ip: 0x11, flags: 0xf016 }),
      test([0x40], { ax: 0x1235, ip: 0x12, flags: 0xf006 }),
    ]);
    await gzipJson(`${dir}/90.json.gz`, [test([0x90], { ip: 0x11 })]);
    await gzipJson(`${dir}/D8.json.gz`, [test([0xd8, 0xc0], { ip: 0x99 })]);
    const run = async (...extra: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-env", RUNNER, "--show", "1", ...extra],
        env: { PICOVMM_SST_DIR: dir },
      }).output();
      return { code: out.code, text: new TextDecoder().decode(out.stdout) };
    };
    // Each test runs on the interpreter and on the translator.
    const both = await run();
    assertEquals(both.code, 1);
    assertEquals(both.text.trim().split("\n").at(-1), "4 passed, 2 failed");
    assertEquals(both.text.includes("ip: got 0011 want 0012"), true);
    assertEquals(both.text.includes("(2 not compared)"), true);
    // The translator alone: every compared test ran as a translated block.
    const translated = await run("--mode", "translate");
    assertEquals(translated.text.trim().split("\n").at(-1), "2 passed, 1 failed");
    assertEquals(translated.text.includes("FAIL 40.json.gz (translate)"), true);
    assertEquals(/blocks translated: 3\b/.test(translated.text), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
