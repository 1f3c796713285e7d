/**
 * The guest RAM picovmm accepts, in a module of its own so the command line
 * can check `--memory` and image sizes without loading the machine's code.
 *
 * @module
 */

/** Most guest RAM picovmm accepts (below the 4 GiB MMIO region). */
export const MAX_MEMORY = 3 * 1024 ** 3;
