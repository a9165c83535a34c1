/**
 * An embedded service could not start for a reason the user can act on. The message is one line:
 * what went wrong and what to do; the CLI prints it as it is, without a stack.
 */
export class EmbeddedServiceError extends Error {}
