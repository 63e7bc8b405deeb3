// A TypeScript project's use of @twofa/otp, compiled by runtimes.test.ts against the installed tarball's
// declarations (moduleResolution nodenext and bundler). The @ts-expect-error lines prove the types are
// real: were they `any`, each directive would itself be an error (TS2578). The project's lib is plain
// es2022, without DOM or Node.js types: the declarations need neither.
import {
  generateTOTP,
  OTPError,
  type OTPKey,
  parseKeyURI,
  type TOTPVerification,
  verifyTOTP,
} from '@twofa/otp';

const key: OTPKey = parseKeyURI(
  'otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example',
);
const code: string = generateTOTP({ secret: key.secret, nowMs: 59_000 });
const result: TOTPVerification = verifyTOTP({ secret: key.secret, code, nowMs: 59_000 });
const delta: number | undefined = result.valid ? result.delta : undefined;

// Never called: type-checked only.
export function misuses(): void {
  // @ts-expect-error a secret is a Uint8Array or base32 text, not a number
  generateTOTP({ secret: 42 });
  // @ts-expect-error the result of a failed verification has no step
  if (!result.valid) console.log(result.step);
  // @ts-expect-error MD5 is not an algorithm
  generateTOTP({ secret: key.secret, algorithm: 'MD5' });
}

declare const console: { log(text: string): void };
console.log(`TYPED ${JSON.stringify({ code, delta, errorClass: OTPError.name })}`);
