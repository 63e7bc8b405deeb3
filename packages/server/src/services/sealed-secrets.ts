/**
 * Opening a sealed secret the way every credential table does (TOTP and HOTP secrets): look again for a key
 * this instance has not loaded yet (another instance sealed under a rotated-to key), open it, and re-seal it
 * under the current key when an older key sealed it, through the caller's conditional update (which refuses
 * to write under anything but the database's current key).
 */
import { needsReseal, openSecret, type SealedSecret, sealSecret } from '../crypto/secret-box.ts';
import type { ServiceContext } from './context.ts';

export async function openAndReseal(
  ctx: ServiceContext,
  sealed: SealedSecret,
  context: string,
  reseal: (resealed: SealedSecret) => Promise<unknown>,
): Promise<Uint8Array> {
  // Sealed by another instance under a key this one has not loaded yet (a rotation): look again first.
  if (!ctx.keyring.keys.has(sealed.keyId)) await ctx.refreshKeyring(sealed.keyId);
  const secret = openSecret(ctx.keyring, sealed, context);
  if (needsReseal(ctx.keyring, sealed)) await reseal(sealSecret(ctx.keyring, secret, context));
  return secret;
}
