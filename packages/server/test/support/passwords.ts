/**
 * The password hasher the suites use: argon2id with cheap parameters, so a sign-up or login costs a
 * millisecond instead of ~30. Production keeps OWASP's (crypto/passwords.ts CURRENT_PARAMETERS, checked by
 * crypto-passwords.test.ts); the rules under test do not depend on the cost.
 */
import { createPasswordHasher } from '../../src/crypto/passwords.ts';

export const TEST_ARGON2 = { memoryKiB: 512, passes: 1, parallelism: 1 } as const;
export const TEST_PASSWORD_HASHER = createPasswordHasher(TEST_ARGON2);
