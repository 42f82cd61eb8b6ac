/**
 * Webhook signing secrets: generated in the form each dialect expects, encrypted at rest with
 * AES-256-GCM under a key derived from HUB_SECRET_KEY, decrypted only to sign.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { PROFILES, type ProviderName } from '../dialects/profiles';

/** Development only: production sets HUB_SECRET_KEY (docker-compose.yml requires it). */
const DEV_SECRET_KEY = 'dispatch-hub development key: never use in production';

export function generateSecret(provider: ProviderName): string {
  switch (PROFILES[provider].secretFormat) {
    case 'whsec':
      return `whsec_${randomBytes(32).toString('base64')}`;
    case 'base64':
      return randomBytes(32).toString('base64');
    case 'hex':
      return randomBytes(32).toString('hex');
  }
}

export class SecretBox {
  private readonly key: Buffer;

  constructor(secretKey: string | undefined) {
    this.key = createHash('sha256').update(secretKey ?? DEV_SECRET_KEY, 'utf8').digest();
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
  }

  open(sealed: string): string {
    const raw = Buffer.from(sealed.replace(/^v1:/, ''), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
