/**
 * The target description gdb reads with `qXfer:features:read:target.xml`:
 * the architecture (which decides how gdb disassembles: 16-bit for i8086)
 * and the registers of {@link registersOf}, in gdb's feature names.
 *
 * @module
 */

import { type GdbArch, registersOf } from "./registers.ts";

/** The target description of an architecture. */
export function targetXml(arch: GdbArch): string {
  const defs = registersOf(arch);
  const lines = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    "<target>",
    `  <architecture>${arch}</architecture>`,
    "  <osabi>none</osabi>",
  ];
  for (const feature of ["core", "sse"] as const) {
    lines.push(`  <feature name="org.gnu.gdb.i386.${feature}">`);
    if (feature === "sse") {
      // vec128 as gdb's i386 description defines it: a union of the lane views.
      lines.push(
        '    <vector id="v4f" type="ieee_single" count="4"/>',
        '    <vector id="v2d" type="ieee_double" count="2"/>',
        '    <vector id="v16i8" type="int8" count="16"/>',
        '    <vector id="v8i16" type="int16" count="8"/>',
        '    <vector id="v4i32" type="int32" count="4"/>',
        '    <vector id="v2i64" type="int64" count="2"/>',
        '    <union id="vec128">',
        '      <field name="v4_float" type="v4f"/>',
        '      <field name="v2_double" type="v2d"/>',
        '      <field name="v16_int8" type="v16i8"/>',
        '      <field name="v8_int16" type="v8i16"/>',
        '      <field name="v4_int32" type="v4i32"/>',
        '      <field name="v2_int64" type="v2i64"/>',
        '      <field name="uint128" type="uint128"/>',
        "    </union>",
      );
    }
    defs.forEach((d, regnum) => {
      if (d.feature !== feature) return;
      lines.push(
        `    <reg name="${d.name}" bitsize="${d.bits}" type="${d.type}" regnum="${regnum}"/>`,
      );
    });
    lines.push("  </feature>");
  }
  lines.push("</target>");
  return lines.join("\n") + "\n";
}

/**
 * A `qXfer` read of `text` at `offset`, at most `length` bytes: `m` and the
 * part when more follows, `l` and the rest at the end.
 */
export function xferChunk(text: string, offset: number, length: number): string {
  const part = text.slice(offset, offset + length);
  return (offset + length >= text.length ? "l" : "m") + part;
}
