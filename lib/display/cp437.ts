/**
 * Code page 437, the PC's text-mode character set, mapped to Unicode.
 *
 * @module
 */

const LOW = " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼";
const HIGH = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»" +
  "░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀" +
  "αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ";

/** Unicode for each of the 256 code page 437 bytes (NUL and 0xFF shown as spaces). */
export const CP437: readonly string[] = (() => {
  const table: string[] = [...LOW];
  for (let c = 0x20; c < 0x7f; c++) table.push(String.fromCharCode(c));
  table.push("⌂");
  table.push(...HIGH);
  if (table.length !== 256) throw new Error(`CP437 table has ${table.length} entries`);
  return table;
})();
