/**
 * A database outage as a service outcome: a method that fails because the database cannot be reached (a
 * connection ended by pg_terminate_backend, a restart or failover, no connection in time, SQLite's lock still
 * held after busy_timeout) throws ServiceError('UNAVAILABLE'), which the edge answers with 503 and
 * Retry-After, never a 500. The transaction it ran in was rolled back (or never began), so nothing changed and
 * the request can be sent again; the next one takes a fresh connection, so the service recovers by itself.
 */
import { isDatabaseUnavailable } from '../store/errors.ts';
import type { ServiceContext } from './context.ts';
import { ServiceError } from './types.ts';

/** The same service, its methods' database outages turned into ServiceError('UNAVAILABLE'). */
export function withUnavailableOutcome<T extends object>(service: T, log: ServiceContext['log']): T {
  const translate = (error: unknown): never => {
    if (!isDatabaseUnavailable(error)) throw error;
    // The driver's reason for the operator (its first line: a SQL error never carries parameters).
    log('database.unavailable', { message: String((error as Error).message).split('\n')[0] ?? '' });
    throw new ServiceError('UNAVAILABLE');
  };
  const wrapped = Object.entries(service).map(([name, value]) => {
    if (typeof value !== 'function') return [name, value];
    const method = (...args: unknown[]): unknown => {
      let result: unknown;
      try {
        result = value.apply(service, args);
      } catch (error) {
        return translate(error);
      }
      return result instanceof Promise ? result.catch(translate) : result;
    };
    return [name, method];
  });
  return Object.fromEntries(wrapped) as T;
}
