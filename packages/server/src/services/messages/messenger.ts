/**
 * Sending messages without holding a request up for long. `send` waits (bounded by the transport's
 * time-outs) for what a person is waiting for and can be told about (a sign-in code); `sendLater` goes on in
 * the background for what must not change the answer (sign-up, "forgot password": the answer never tells
 * whether an address has an account) and for notices. `idle()` waits for the background (tests, shutdown).
 */
import { SUBJECT_EMAIL_PREFIX } from '../../store/api-subjects-repo.ts';
import type { Channel, MessagePurpose, OutgoingMessage, Transport } from './transports.ts';

export interface Messenger {
  /** Sends now; throws MessageNotSentError when the transport fails (logged without address or text). */
  send(message: OutgoingMessage): Promise<void>;
  /** Sends in the background; a failure is logged, never thrown. */
  sendLater(message: OutgoingMessage): void;
  /**
   * Runs in the background the work that leads to a message when neither its outcome nor its time may show
   * in the answer (a reset link exists only for a confirmed address: its writes must not slow that answer
   * down). Tracked like sendLater; a failure is logged by name, never thrown.
   */
  prepareLater(purpose: MessagePurpose, work: () => Promise<void>): void;
  /** Resolves once every background send started so far has ended. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export class MessageNotSentError extends Error {
  readonly channel: Channel;
  constructor(channel: Channel) {
    super(`the ${channel} message could not be sent`);
    this.name = 'MessageNotSentError';
    this.channel = channel;
  }
}

/**
 * The longest a person waits for a message to leave (`send`); the transport may go on trying in the
 * background (its own time-outs bound it), but the page answers by then.
 */
export const SEND_DEADLINE_MS = 15_000;

export class SendDeadlineError extends Error {
  constructor() {
    super('the transport did not finish in time');
    this.name = 'SendDeadlineError';
  }
}

export function createMessenger(options: {
  readonly transports: Readonly<Record<Channel, Transport>>;
  readonly log: (name: string, fields?: Record<string, string | number | boolean>) => void;
  /** @default SEND_DEADLINE_MS */
  readonly deadlineMs?: number;
}): Messenger {
  const inFlight = new Set<Promise<void>>();
  const deadlineMs = options.deadlineMs ?? SEND_DEADLINE_MS;

  /** The transport's send, tracked (so close() waits for it) and bounded for whoever awaits it. */
  function transportSend(message: OutgoingMessage): Promise<void> {
    const sending = options.transports[message.channel].send(message);
    const tracked: Promise<void> = sending.catch(() => undefined).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SendDeadlineError()), deadlineMs);
      timer.unref();
    });
    return Promise.race([sending, deadline]).finally(() => clearTimeout(timer));
  }

  async function send(message: OutgoingMessage): Promise<void> {
    // An API subject's placeholder is not an address: whatever asked (a notice, a code), nothing is sent.
    if (message.channel === 'email' && message.to.startsWith(SUBJECT_EMAIL_PREFIX)) {
      options.log('message.no_address', { channel: message.channel, purpose: message.purpose });
      return;
    }
    try {
      await transportSend(message);
    } catch (error) {
      options.log('message.failed', {
        channel: message.channel,
        purpose: message.purpose,
        error: errorName(error),
      });
      throw new MessageNotSentError(message.channel);
    }
    options.log('message.sent', { channel: message.channel, purpose: message.purpose });
  }

  return {
    send,
    sendLater(message) {
      const done: Promise<void> = send(message)
        .catch(() => undefined)
        .finally(() => inFlight.delete(done));
      inFlight.add(done);
    },
    prepareLater(purpose, work) {
      const done: Promise<void> = work()
        .catch((error: unknown) => options.log('message.not_prepared', { purpose, error: errorName(error) }))
        .finally(() => inFlight.delete(done));
      inFlight.add(done);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    async close() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      for (const transport of Object.values(options.transports)) transport.close?.();
    },
  };
}

/** The error's name (and code): transport and driver messages can quote the recipient. */
function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}${'code' in error ? ` ${String(error.code)}` : ''}` : 'error';
}
