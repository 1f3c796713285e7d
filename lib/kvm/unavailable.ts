/**
 * The error for a host whose KVM cannot be used, in a module of its own so
 * that the command line can catch it without loading the KVM code.
 *
 * @module
 */

/** Why KVM cannot be used on this host, in one line. */
export class KvmUnavailableError extends Error {
  /** The error class name. */
  override name = "KvmUnavailableError";
}
