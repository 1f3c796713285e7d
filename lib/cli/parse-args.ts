/**
 * Command-line option parsing with the behaviour and messages of Node's
 * `util.parseArgs` in strict mode (string and boolean options, `-x` short
 * flags and groups, `--name=value`, `--` ending the options, defaults,
 * repeatable string options with `multiple`), for
 * the subset picovmm uses. It exists for start-up time: importing
 * `node:util` loads Deno's Node compatibility layer (about 5 ms for an
 * empty script; bench/results.md). tests/cli/parse_args_test.ts holds it to
 * `node:util` case by case.
 *
 * @module
 */

/** One option: its type, an optional one-letter short form and default; `multiple` collects repeats. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  default?: string | boolean | string[];
  multiple?: boolean;
}

/** The parsed values: an option with a default always has a value. */
export type ParsedValues<O extends Record<string, OptionSpec>> = {
  -readonly [K in keyof O]: O[K] extends { multiple: true }
    ? O[K] extends { default: string[] } ? string[] : string[] | undefined
    : O[K] extends { type: "boolean" }
      ? O[K] extends { default: boolean } ? boolean : boolean | undefined
    : O[K] extends { default: string } ? string
    : string | undefined;
};

/** What {@link parseArgs} takes (as Node's, with `strict: true`). */
export interface ParseConfig<O extends Record<string, OptionSpec>> {
  args: readonly string[];
  options: O;
  allowPositionals?: boolean;
  strict?: true;
}

/** Thrown for bad usage; the messages are Node's. */
export class ParseArgsError extends TypeError {
  /** The error class name. */
  override name = "ParseArgsError";
}

/** Parses `args` against `options`; throws ParseArgsError as Node's parseArgs does. */
export function parseArgs<const O extends Record<string, OptionSpec>>(
  config: ParseConfig<O>,
): { values: ParsedValues<O>; positionals: string[] } {
  const { args, options } = config;
  const values: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) if (spec.short) byShort.set(spec.short, name);
  const optionLike = (v: string | undefined) => v !== undefined && v.length > 1 && v[0] === "-";
  const describe = (name: string) => {
    const short = options[name].short;
    return short ? `-${short}, --${name}` : `--${name}`;
  };

  /** Takes option `name` (as written `as`), with an inline value or the next argument. */
  const take = (
    name: string,
    as: string,
    inline: string | undefined,
    next: () => string | undefined,
  ) => {
    const spec = options[name];
    if (spec.type === "boolean") {
      if (inline !== undefined) {
        throw new ParseArgsError(`Option '${describe(name)}' does not take an argument`);
      }
      values[name] = true;
      return;
    }
    let value = inline;
    if (value === undefined) {
      value = next();
      if (value === undefined) {
        throw new ParseArgsError(`Option '${describe(name)} <value>' argument missing`);
      }
      if (optionLike(value)) {
        throw new ParseArgsError(
          `Option '${as}' argument is ambiguous.\nDid you forget to specify the option argument for '${as}'?\n` +
            `To specify an option argument starting with a dash use '${
              as.startsWith("--") ? `${as}=-XYZ` : `--${name}=-XYZ' or '${as}-XYZ`
            }'.`,
        );
      }
    }
    if (spec.multiple) {
      const list = values[name];
      if (Array.isArray(list)) list.push(value);
      else values[name] = [value];
    } else {
      values[name] = value;
    }
  };
  const unknown = (as: string): never => {
    throw new ParseArgsError(
      `Unknown option '${as}'` +
        (config.allowPositionals
          ? `. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- ${
            JSON.stringify(as)
          }`
          : ""),
    );
  };

  const unexpected = (arg: string): never => {
    throw new ParseArgsError(
      `Unexpected argument '${arg}'. This command does not take positional arguments`,
    );
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const next = () => (i + 1 < args.length ? args[++i] : undefined);
    if (arg === "--") {
      const rest = args.slice(i + 1);
      if (rest.length > 0 && !config.allowPositionals) unexpected(rest[0]);
      positionals.push(...rest);
      break;
    }
    if (arg.startsWith("--")) {
      // As in Node, "--=x" is an option named "=x" (the name before "=" cannot be empty).
      const eq = arg.indexOf("=", 3);
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (!Object.hasOwn(options, name)) unknown(eq < 0 ? arg : arg.slice(0, eq));
      take(name, `--${name}`, eq < 0 ? undefined : arg.slice(eq + 1), next);
    } else if (arg.length > 1 && arg[0] === "-") {
      // -x, a group -xyz of flags, or -xVALUE for a string option.
      for (let j = 1; j < arg.length; j++) {
        const name = byShort.get(arg[j]);
        if (name === undefined) unknown(`-${arg[j]}`);
        const rest = arg.slice(j + 1);
        if (options[name!].type === "string") {
          take(name!, `-${arg[j]}`, rest === "" ? undefined : rest, next);
          break;
        }
        take(name!, `-${arg[j]}`, undefined, next);
      }
    } else {
      if (!config.allowPositionals) unexpected(arg);
      positionals.push(arg);
    }
  }
  for (const [name, spec] of Object.entries(options)) {
    if (!(name in values) && spec.default !== undefined) {
      values[name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    }
  }
  return { values: values as ParsedValues<O>, positionals };
}
