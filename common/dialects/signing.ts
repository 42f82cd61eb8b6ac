/**
 * Signature headers for a try: the subscription's dialect signs (its profile row's `sign`), with
 * every current secret where its header can carry several (a rotation's overlap), else the newest.
 */
import { PROFILES, type ProviderName } from './profiles';
import type { SignInput } from './signature-schemes';

export function signatureHeaders(provider: ProviderName, input: SignInput): Record<string, string> {
  const profile = PROFILES[provider];
  return profile.sign({ ...input, secrets: profile.multipleSignatures ? input.secrets : input.secrets.slice(0, 1) });
}
