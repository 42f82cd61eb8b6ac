// Dispatch Hub console: Preact + htm, no build step. Every call goes to the public /v1 API with
// the signed-in key (kept in this tab's sessionStorage only), so the console shows exactly what
// that key may read.
import { h, render } from './vendor/preact.js';
import { useCallback, useEffect, useRef, useState } from './vendor/hooks.js';
import htm from './vendor/htm.js';
import uPlot from './vendor/uplot.js';

const html = htm.bind(h);
const KEY = 'dispatch-hub-key';
const REFRESH_MS = 5000;
const PROVIDERS = ['standard', 'courrex', 'kourier', 'zippex', 'easyroutes', 'naveera'];

async function api(path, { method = 'GET', body } = {}) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const e = data?.error;
    const field = e?.details?.field ?? e?.details?.errors?.[0]?.field;
    throw new Error(`${e?.message ?? res.statusText}${field ? ` (${field})` : ''}`);
  }
  return data;
}

/** Loads now and again every few seconds while mounted; `reload` forces a load. */
function useLive(load, deps) {
  const [state, setState] = useState({ data: undefined, error: undefined });
  const reload = useCallback(() => load().then((data) => setState({ data, error: undefined }), (error) => setState((s) => ({ ...s, error }))), deps);
  useEffect(() => {
    reload();
    const t = setInterval(reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [reload]);
  return { ...state, reload };
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)} %`);

function ErrorLine({ error }) {
  return error ? html`<p class="error" role="alert">${error.message}</p>` : null;
}

function SignIn({ onSignIn }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState();
  const submit = async (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, key.trim());
    try {
      const me = await api('/v1/me');
      onSignIn(me);
    } catch (err) {
      sessionStorage.removeItem(KEY);
      setError(err);
    }
  };
  return html`<main><section>
    <h2>Sign in</h2>
    <p class="muted">Your API key stays in this browser tab only, for as long as the tab is open.</p>
    <form onSubmit=${submit}>
      <label for="key">API key</label>
      <input id="key" type="password" autocomplete="off" value=${key} onInput=${(e) => setKey(e.target.value)} required />
      <div class="actions"><button type="submit">Sign in</button></div>
    </form>
    <${ErrorLine} error=${error} />
  </section></main>`;
}

/** Successes and failures per time bucket, drawn with uPlot. */
function Chart({ buckets, label }) {
  const el = useRef();
  useEffect(() => {
    if (!el.current || !buckets?.length) return undefined;
    const x = buckets.map((b) => Date.parse(b.start) / 1000);
    const width = Math.max(240, el.current.clientWidth || 300);
    const plot = new uPlot(
      {
        width, height: 120, legend: { show: false },
        series: [{}, { label: 'succeeded', stroke: '#1a7f37', fill: 'rgba(26,127,55,.12)' }, { label: 'failed', stroke: '#c62828', fill: 'rgba(198,40,40,.12)' }],
        axes: [{ space: 60 }, { size: 40 }],
      },
      [x, buckets.map((b) => b.succeeded), buckets.map((b) => b.failed)],
      el.current,
    );
    return () => plot.destroy();
  }, [JSON.stringify(buckets)]);
  return html`<div class="chart" ref=${el} role="img" aria-label=${label}></div>`;
}

function SecretShown({ secret, onDone }) {
  const [copied, setCopied] = useState(false);
  return html`<div class="card" role="status">
    <p><strong>Save this secret now: it is shown only once.</strong></p>
    <p class="secret" data-testid="secret">${secret}</p>
    <div class="actions">
      <button type="button" onClick=${() => navigator.clipboard?.writeText(secret).then(() => setCopied(true))}>${copied ? 'Copied' : 'Copy secret'}</button>
      <button type="button" class="secondary" onClick=${onDone}>Done</button>
    </div>
  </div>`;
}

function CreateSubscription({ onCreated }) {
  const [url, setUrl] = useState('');
  const [provider, setProvider] = useState('standard');
  const [events, setEvents] = useState('*');
  const [error, setError] = useState();
  const submit = async (e) => {
    e.preventDefault();
    try {
      const created = await api('/v1/webhooks/subscriptions', { method: 'POST', body: { url, provider, events: events.split(',').map((s) => s.trim()).filter(Boolean) } });
      setUrl('');
      setError(undefined);
      onCreated(created);
    } catch (err) {
      setError(err);
    }
  };
  return html`<section>
    <h2>New subscription</h2>
    <form onSubmit=${submit}>
      <div class="row">
        <div><label for="new-url">Endpoint URL</label><input id="new-url" type="url" value=${url} onInput=${(e) => setUrl(e.target.value)} required /></div>
        <div><label for="new-provider">Dialect</label>
          <select id="new-provider" value=${provider} onChange=${(e) => setProvider(e.target.value)}>${PROVIDERS.map((p) => html`<option value=${p}>${p}</option>`)}</select></div>
        <div><label for="new-events">Events (comma-separated, * for all)</label><input id="new-events" value=${events} onInput=${(e) => setEvents(e.target.value)} /></div>
        <button type="submit">Create</button>
      </div>
    </form>
    <${ErrorLine} error=${error} />
  </section>`;
}

function SubscriptionCard({ sub }) {
  const stats = useLive(() => api(`/v1/webhooks/subscriptions/${sub.id}/stats?window=24h`), [sub.id]);
  const s = stats.data;
  return html`<article class="card">
    <h3><a href=${`#/subscriptions/${sub.id}`}>${sub.url}</a></h3>
    <p>
      <span class="badge">${sub.provider}</span>${' '}
      ${sub.is_active ? html`<span class="badge ok">active</span>` : html`<span class="badge bad">disabled</span> <span class="muted">${sub.disabled_reason ?? ''}</span>`}
    </p>
    <p class="muted">Events: ${sub.events.length ? sub.events.join(', ') : 'all'}</p>
    <p>Success rate (24 h): <strong>${pct(s?.success_rate)}</strong> · tries ${s?.tries.total ?? '—'} · last failure ${when(s?.last_failure_at)} ${s?.last_error ? html`<span class="bad">(${s.last_error})</span>` : ''}</p>
    ${s ? html`<${Chart} buckets=${s.buckets} label=${`successes and failures of ${sub.url} over 24 hours`} />` : null}
  </article>`;
}

function SubscriptionsPage() {
  const list = useLive(() => api('/v1/webhooks/subscriptions'), []);
  const [secret, setSecret] = useState();
  return html`<main>
    ${secret ? html`<${SecretShown} secret=${secret} onDone=${() => setSecret(undefined)} />` : null}
    <${CreateSubscription} onCreated=${(c) => { setSecret(c.secret); list.reload(); }} />
    <h2>Subscriptions</h2>
    <${ErrorLine} error=${list.error} />
    ${list.data?.items.length === 0 ? html`<p class="muted">No subscriptions yet.</p>` : null}
    ${list.data?.items.map((sub) => html`<${SubscriptionCard} key=${sub.id} sub=${sub} />`)}
  </main>`;
}

function Recovery({ id }) {
  const r = useLive(() => api(`/v1/webhooks/recoveries/${id}`), [id]);
  const d = r.data;
  return d
    ? html`<p role="status" data-testid="recovery">Recovery ${d.status}: ${d.total} to send · ${d.queued} queued · ${d.sent} sent · ${d.succeeded} succeeded · ${d.failed} failed
        ${d.status === 'running' ? html` <button type="button" class="secondary" onClick=${() => api(`/v1/webhooks/recoveries/${id}/cancel`, { method: 'POST' }).then(r.reload)}>Cancel recovery</button>` : null}</p>`
    : null;
}

function SubscriptionPage({ id }) {
  const sub = useLive(() => api(`/v1/webhooks/subscriptions/${id}`), [id]);
  const [status, setStatus] = useState('');
  const [eventType, setEventType] = useState('');
  const deliveries = useLive(
    () => api(`/v1/webhooks/deliveries?subscription_id=${id}&page_size=50${status ? `&status=${status}` : ''}${eventType ? `&event_type=${encodeURIComponent(eventType)}` : ''}`),
    [id, status, eventType],
  );
  const [error, setError] = useState();
  const [secret, setSecret] = useState();
  const [recovery, setRecovery] = useState();
  const [since, setSince] = useState(() => new Date(Date.now() - 3600_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
  const [edit, setEdit] = useState();
  const act = (fn) => async () => {
    try {
      setError(undefined);
      await fn();
      sub.reload();
      deliveries.reload();
    } catch (err) {
      setError(err);
    }
  };
  const s = sub.data;
  if (!s) return html`<main><${ErrorLine} error=${sub.error} /><p class="muted">Loading …</p></main>`;
  return html`<main>
    <p><a href="#/subscriptions">← Subscriptions</a></p>
    ${secret ? html`<${SecretShown} secret=${secret} onDone=${() => setSecret(undefined)} />` : null}
    <section>
      <h2>${s.url}</h2>
      <p><span class="badge">${s.provider}</span> ${s.is_active ? html`<span class="badge ok">active</span>` : html`<span class="badge bad">disabled</span> ${s.disabled_reason}`}</p>
      <p class="muted">Events: ${s.events.length ? s.events.join(', ') : 'all'} · id ${s.id}</p>
      <div class="actions">
        <button type="button" onClick=${act(() => api(`/v1/webhooks/subscriptions/${id}`, { method: 'PATCH', body: { is_active: !s.is_active } }))}>${s.is_active ? 'Disable' : 'Enable'}</button>
        <button type="button" class="secondary" onClick=${act(async () => setSecret((await api(`/v1/webhooks/subscriptions/${id}/rotate-secret`, { method: 'POST', body: {} })).secret))}>Rotate secret</button>
        <button type="button" class="secondary" onClick=${act(() => api(`/v1/webhooks/subscriptions/${id}/test`, { method: 'POST', body: {} }))}>Send test event</button>
        <button type="button" class="secondary" onClick=${() => setEdit({ url: s.url, events: s.events.join(', ') })}>Edit</button>
        <button type="button" class="danger" onClick=${act(async () => {
          if (!confirm(`Delete the subscription to ${s.url}? Its pending deliveries are cancelled.`)) return;
          await api(`/v1/webhooks/subscriptions/${id}`, { method: 'DELETE', body: {} });
          location.hash = '#/subscriptions';
        })}>Delete</button>
      </div>
      ${edit ? html`<form onSubmit=${(e) => { e.preventDefault(); act(async () => { await api(`/v1/webhooks/subscriptions/${id}`, { method: 'PATCH', body: { url: edit.url, events: edit.events.split(',').map((x) => x.trim()).filter(Boolean) } }); setEdit(undefined); })(); }}>
          <div class="row">
            <div><label for="edit-url">Endpoint URL</label><input id="edit-url" type="url" value=${edit.url} onInput=${(e) => setEdit({ ...edit, url: e.target.value })} /></div>
            <div><label for="edit-events">Events</label><input id="edit-events" value=${edit.events} onInput=${(e) => setEdit({ ...edit, events: e.target.value })} /></div>
            <button type="submit">Save</button>
          </div></form>` : null}
      <form onSubmit=${(e) => { e.preventDefault(); act(async () => setRecovery((await api(`/v1/webhooks/subscriptions/${id}/recover`, { method: 'POST', body: { since: new Date(since).toISOString() } })).id))(); }}>
        <div class="row">
          <div><label for="recover-since">Re-send failed deliveries since</label><input id="recover-since" type="datetime-local" value=${since} onInput=${(e) => setSince(e.target.value)} /></div>
          <button type="submit">Recover since</button>
        </div>
      </form>
      ${recovery ? html`<${Recovery} id=${recovery} />` : null}
      <${ErrorLine} error=${error} />
    </section>
    <section>
      <h2>Deliveries</h2>
      <div class="row">
        <div><label for="filter-status">Status</label>
          <select id="filter-status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
            ${['', 'pending', 'retrying', 'succeeded', 'failed', 'cancelled'].map((x) => html`<option value=${x}>${x || 'any'}</option>`)}
          </select></div>
        <div><label for="filter-type">Event type</label><input id="filter-type" value=${eventType} onInput=${(e) => setEventType(e.target.value)} /></div>
      </div>
      <${ErrorLine} error=${deliveries.error} />
      <table>
        <thead><tr><th>Event</th><th>Status</th><th>Tries</th><th>Last answer</th><th>Created</th></tr></thead>
        <tbody>${deliveries.data?.items.map((d) => html`<tr key=${d.id} data-status=${d.status}>
          <td><a href=${`#/deliveries/${d.id}`}>${d.event_type}</a></td>
          <td class=${d.status === 'failed' ? 'bad' : d.status === 'succeeded' ? 'ok' : ''}>${d.status}</td>
          <td>${d.attempt_count} / ${d.max_attempts}</td>
          <td>${d.response_status ?? d.error_message ?? '—'}</td>
          <td>${when(d.created_at)}</td></tr>`)}</tbody>
      </table>
      <p class="muted">${deliveries.data ? `${deliveries.data.total} in all, newest first` : ''}</p>
    </section>
  </main>`;
}

function DeliveryPage({ id }) {
  const d = useLive(() => api(`/v1/webhooks/deliveries/${id}`), [id]);
  const [error, setError] = useState();
  const x = d.data;
  if (!x) return html`<main><${ErrorLine} error=${d.error} /><p class="muted">Loading …</p></main>`;
  return html`<main>
    <p><a href=${`#/subscriptions/${x.subscription_id}`}>← Subscription</a></p>
    <section>
      <h2>${x.event_type} <span class="badge">${x.status}</span></h2>
      <p class="muted">Delivery ${x.id} · event ${x.event_id} · ${x.attempt_count} of ${x.max_attempts} tries · next try ${when(x.next_retry_at)}</p>
      ${x.status === 'failed' ? html`<div class="actions"><button type="button" onClick=${() => api(`/v1/webhooks/deliveries/${id}/retry`, { method: 'POST', body: {} }).then(d.reload, setError)}>Retry now</button></div>` : null}
      <${ErrorLine} error=${error} />
    </section>
    ${x.attempts.map((a) => html`<section key=${a.attempt_number} data-testid="attempt">
      <h3>Try ${a.attempt_number}: ${a.succeeded ? html`<span class="ok">succeeded</span>` : html`<span class="bad">failed</span>`}</h3>
      <p>${when(a.started_at)} · status ${a.status_code ?? '—'} · ${a.duration_ms} ms ${a.error ? html`· <span class="bad">${a.error}</span>` : ''}</p>
      ${a.request ? html`<h3>Request as sent</h3><pre>${Object.entries(a.request.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${a.request.body}</pre>` : null}
      <h3>Answer (first 4 KB)</h3><pre>${a.response_body ?? '(none)'}${a.response_truncated ? '\n…' : ''}</pre>
    </section>`)}
  </main>`;
}

function EventsPage() {
  const [type, setType] = useState('');
  const [open, setOpen] = useState();
  const since = useRef(new Date(Date.now() - 24 * 3600_000).toISOString()).current;
  const events = useLive(() => api(`/v1/events?limit=200&since=${encodeURIComponent(since)}${type ? `&event_type=${type}` : ''}`), [type]);
  const deliveries = useLive(() => (open ? api(`/v1/webhooks/deliveries?event_id=${open}&page_size=100`) : Promise.resolve(undefined)), [open]);
  return html`<main><section>
    <h2>Events (last 24 h)</h2>
    <label for="event-type">Event type</label>
    <input id="event-type" placeholder="stop.created" value=${type} onChange=${(e) => setType(e.target.value.trim())} />
    <${ErrorLine} error=${events.error} />
    <table>
      <thead><tr><th>Type</th><th>Subject</th><th>When</th></tr></thead>
      <tbody>${[...(events.data?.items ?? [])].reverse().map((e) => html`<tr key=${e.event_id}>
        <td><button type="button" class="secondary" aria-expanded=${open === e.event_id} onClick=${() => setOpen(open === e.event_id ? undefined : e.event_id)}>${e.event_type}</button>
          ${open === e.event_id ? html`<ul>${(deliveries.data?.items ?? []).map((d) => html`<li><a href=${`#/deliveries/${d.id}`}>${d.event_type} → ${d.status}</a></li>`)}</ul>` : null}</td>
        <td>${e.payload.id ?? '—'}</td><td>${when(e.created_at)}</td></tr>`)}</tbody>
    </table>
  </section></main>`;
}

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function App() {
  const [me, setMe] = useState();
  const hash = useHash();
  useEffect(() => {
    if (sessionStorage.getItem(KEY)) api('/v1/me').then(setMe, () => sessionStorage.removeItem(KEY));
  }, []);
  if (!me) return html`<${SignIn} onSignIn=${setMe} />`;
  const [, page, id] = hash.split('/');
  const body = page === 'events' ? html`<${EventsPage} />`
    : page === 'deliveries' && id ? html`<${DeliveryPage} id=${id} />`
    : page === 'subscriptions' && id ? html`<${SubscriptionPage} id=${id} />`
    : html`<${SubscriptionsPage} />`;
  return html`<header>
      <h1>Dispatch Hub console</h1>
      <nav aria-label="Main"><a href="#/subscriptions">Subscriptions</a> <a href="#/events">Events</a></nav>
      <span class="muted">tenant ${me.tenant_id}</span>
      <button type="button" class="secondary" onClick=${() => { sessionStorage.removeItem(KEY); setMe(undefined); }}>Sign out</button>
    </header>${body}`;
}

const root = document.getElementById('app');
root.textContent = ''; // the loading line
render(html`<${App} />`, root);
