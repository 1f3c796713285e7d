/**
 * Loads every part of code.ts, statically, so that `createMachine` can
 * build any machine: import this module (for its effect) wherever machines
 * are made without the command line's on-demand loading.
 *
 * @module
 */

import * as emu from "../emu/mod.ts";
import * as kvm from "./kvm-code.ts";
import * as pc from "./pc.ts";
import * as kernel from "./kernel-code.ts";
import { provideMachineCode } from "./code.ts";

provideMachineCode({ emu, kvm, pc, kernel });
