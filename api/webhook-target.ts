/** A webhook URL the hub may send to (HTTPS, public address, allowed port), else 400 on `url`. */
import { checkWebhookUrl, type UrlPolicy, UrlPolicyError } from '../common/subscriptions/url-policy';
import { badRequest, describeValue } from './errors';

export async function checkWebhookTarget(url: string, policy: UrlPolicy): Promise<void> {
  try {
    await checkWebhookUrl(url, policy);
  } catch (err) {
    if (err instanceof UrlPolicyError) throw badRequest(`url: ${err.message}`, { field: 'url', value: describeValue(url) });
    throw err;
  }
}
