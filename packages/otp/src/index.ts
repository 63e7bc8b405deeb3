/**
 * @twofa/otp: HOTP (RFC 4226), TOTP (RFC 6238), base32 (RFC 4648), `otpauth://` key URIs and Google
 * Authenticator `otpauth-migration://` payloads. Zero dependencies, no `node:` imports, synchronous.
 *
 * @packageDocumentation
 */
export { decodeBase32, encodeBase32 } from './base32.ts';
export { OTPError, type OTPErrorCode } from './errors.ts';
export { decodeHex, encodeHex } from './hex.ts';
export {
  type GenerateHOTPOptions,
  generateHOTP,
  type HOTPKeyOptions,
  type HOTPMatch,
  type HOTPVerification,
  MAX_HOTP_LOOK_AHEAD,
  type PreparedHOTP,
  prepareHOTP,
  type ResyncHOTPOptions,
  resyncHOTP,
  type SecretInput,
  type VerifyHOTPOptions,
  verifyHOTP,
} from './hotp.ts';
export type { Algorithm } from './internal/algorithm.ts';
export { buildKeyURI, type OTPKey, type OTPKeyInput, parseKeyURI } from './key-uri.ts';
export { buildMigrationURIs, parseMigrationURI } from './migration.ts';
export { normalizeCode } from './normalize-code.ts';
export { generateSecret } from './secret.ts';
export {
  type GenerateTOTPOptions,
  generateTOTP,
  getTOTPSecondsRemaining,
  getTOTPStep,
  MAX_TOTP_WINDOW,
  type PreparedTOTP,
  prepareTOTP,
  type TOTPCheck,
  type TOTPKeyOptions,
  type TOTPMatch,
  type TOTPVerification,
  type TOTPWindow,
  type VerifyTOTPOptions,
  verifyTOTP,
} from './totp.ts';
