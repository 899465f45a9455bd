// Talking to leveed's HTTP API: the bearer token, JSON requests with their errors, and the live feed.
//
// The live feed is Server-Sent Events from /api/v1/stream. EventSource cannot send an Authorization header, so the
// stream is read with fetch() and parsed here (SSEParser, after the WHATWG "event stream interpretation"). It
// resumes with Last-Event-ID, reconnects with backoff, and while it is down the status is polled every 2 s, so the
// screen never silently freezes.

const TOKEN_KEY = 'levee.token';

/**
 * An API failure: `status` is the HTTP status (0 when the server could not be reached); `text` the refusal as a
 * catalogue message ({id, args}) when the server sent one, for said() to show in the page's language.
 */
export class ApiError extends Error {
    constructor(status, message, text = null) {
        super(message);
        this.name = 'ApiError';
        this.status = status;
        this.text = text;
    }
}

export function getToken() {
    return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
    sessionStorage.removeItem(TOKEN_KEY);
}

let unauthorized = () => {};

/** Called on any 401: the token is wrong or expired, so the app goes back to its login form. */
export function onUnauthorized(handler) {
    unauthorized = handler;
}

/**
 * One API request. `body` is sent as JSON. Resolves with the parsed JSON (or the Response itself with `raw`);
 * rejects with an ApiError carrying the server's `{"error": "..."}` text, or with the AbortError of `signal`.
 */
export async function api(path, { method = 'GET', body, raw = false, accept = 'application/json', signal } = {}) {
    const headers = { Accept: accept };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
        response = await fetch(path, {
            method, headers, signal, cache: 'no-store',
            body: body === undefined ? undefined : JSON.stringify(body),
        });
    } catch (e) {
        if (e.name === 'AbortError') throw e;
        throw new ApiError(0, e.message);
    }
    if (response.status === 401) {
        unauthorized();
        throw new ApiError(401, (await errorText(response)).error);
    }
    if (!response.ok) {
        const { error, text } = await errorText(response);
        throw new ApiError(response.status, error, text);
    }
    if (raw) return response;
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    // A ControlResponse may say no with a 200 as well.
    if (json && json.ok === false) throw new ApiError(response.status, json.error ?? 'refused', json.errorText ?? null);
    return json;
}

/** The server's `{"error": "...", "errorText": {...}}` as `{error, text}`; the bare body when it is not JSON. */
async function errorText(response) {
    try {
        const body = await response.text();
        try {
            const json = JSON.parse(body);
            return { error: json.error ?? body, text: json.errorText ?? null };
        } catch {
            return { error: body || response.statusText, text: null };
        }
    } catch {
        return { error: response.statusText, text: null };
    }
}

// ---------------------------------------------------------------------------------------------------- SSE parser

/**
 * Parses a text/event-stream incrementally: feed it text as it arrives and it returns the complete events.
 * Follows the HTML standard's rules: lines end in CRLF, LF or CR; a line starting with ":" is a comment; "field:
 * value" loses one leading space; data lines join with "\n"; an empty line dispatches; `id` (without NUL) sets
 * the last event id even for an event with no data; `retry` sets the reconnection time.
 */
export class SSEParser {
    constructor() {
        this.buffer = '';
        this.lastEventId = '';
        this.retry = null;
        this.reset();
    }

    reset() {
        this.eventType = '';
        this.data = [];
        this.hasData = false;
    }

    /** Returns `[{ event, data, id }]` for every event completed by `chunk`. */
    feed(chunk) {
        this.buffer += chunk;
        const events = [];
        let start = 0;
        for (let i = 0; i < this.buffer.length; i++) {
            const c = this.buffer[i];
            if (c !== '\n' && c !== '\r') continue;
            // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
            if (c === '\r' && i === this.buffer.length - 1) break;
            this.line(this.buffer.slice(start, i), events);
            if (c === '\r' && this.buffer[i + 1] === '\n') i++;
            start = i + 1;
        }
        this.buffer = this.buffer.slice(start);
        return events;
    }

    line(line, events) {
        if (line === '') {
            if (this.hasData) {
                events.push({ event: this.eventType || 'message', data: this.data.join('\n'),
                    id: this.lastEventId });
            }
            this.reset();
            return;
        }
        if (line.startsWith(':')) return;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        switch (field) {
            case 'event': this.eventType = value; break;
            case 'data': this.data.push(value); this.hasData = true; break;
            case 'id': if (!value.includes('\0')) this.lastEventId = value; break;
            case 'retry': if (/^\d+$/.test(value)) this.retry = Number(value); break;
            default: break;  // unknown fields are ignored
        }
    }
}

// ----------------------------------------------------------------------------------------------------- live feed

const STREAM = '/api/v1/stream';
const POLL_MS = 2000;
/** Status comes every 2 s; this long without any byte means the stream is dead even if the socket is not. */
const SILENCE_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * The live status and journal. Callbacks: `onStatus(siteStatus)`, `onJournal(event)`, `onState(state)` with
 * state one of 'connecting', 'live' (stream), 'polling' (stream down, polling works), 'offline' (nothing works).
 */
export class LiveFeed {
    constructor({ onStatus, onJournal, onState }) {
        this.onStatus = onStatus;
        this.onJournal = onJournal;
        this.onState = onState;
        this.lastEventId = '';
        this.failures = 0;
        this.baseDelay = 1000;
        this.stopped = true;
        this.state = null;
    }

    start() {
        this.stopped = false;
        this.setState('connecting');
        this.connect();
    }

    stop() {
        this.stopped = true;
        this.controller?.abort();
        clearTimeout(this.reconnectTimer);
        clearTimeout(this.silenceTimer);
        this.stopPolling();
    }

    setState(state) {
        if (state === this.state) return;
        this.state = state;
        this.onState?.(state);
    }

    async connect() {
        if (this.stopped) return;
        const controller = new AbortController();
        this.controller = controller;
        const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${getToken()}` };
        if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
        const parser = new SSEParser();
        parser.lastEventId = this.lastEventId;
        try {
            const response = await fetch(STREAM, { headers, signal: controller.signal, cache: 'no-store' });
            if (response.status === 401) {
                unauthorized();
                return;
            }
            if (!response.ok || !response.body) throw new Error(`stream: HTTP ${response.status}`);
            this.armSilenceTimer(controller);
            const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
            for (;;) {
                const { value, done } = await reader.read();
                if (done) throw new Error('stream ended');
                this.armSilenceTimer(controller);
                for (const event of parser.feed(value)) this.dispatch(event);
                if (parser.retry != null) this.baseDelay = parser.retry;
            }
        } catch (e) {
            if (this.stopped || controller !== this.controller) return;
            clearTimeout(this.silenceTimer);
            this.failures++;
            this.startPolling();
            // 1, 2, 4 … 30 s, with jitter so a room full of screens does not reconnect in step.
            const delay = Math.min(MAX_BACKOFF_MS, this.baseDelay * 2 ** (this.failures - 1));
            this.reconnectTimer = setTimeout(() => this.connect(), delay * (0.8 + Math.random() * 0.4));
            if (typeof console !== 'undefined') console.info(`levee: live stream down (${e.message}); retry in ${delay} ms`);
        }
    }

    armSilenceTimer(controller) {
        clearTimeout(this.silenceTimer);
        this.silenceTimer = setTimeout(() => controller.abort(), SILENCE_MS);
    }

    dispatch(event) {
        if (event.id) this.lastEventId = event.id;
        let payload;
        try {
            payload = JSON.parse(event.data);
        } catch {
            return;  // a malformed event is skipped; the next status replaces it
        }
        if (event.event === 'status') {
            this.failures = 0;
            this.stopPolling();
            this.setState('live');
            this.onStatus(payload);
        } else if (event.event === 'journal') {
            this.onJournal?.(payload);
        }
    }

    startPolling() {
        if (this.pollTimer) return;
        const poll = async () => {
            try {
                const status = await api('/api/v1/status');
                if (this.stopped || !this.pollTimer) return;
                this.setState('polling');
                this.onStatus(status);
            } catch (e) {
                if (e.status === 401) return;
                this.setState('offline');
            }
        };
        this.pollTimer = setInterval(poll, POLL_MS);
        poll();
    }

    stopPolling() {
        clearInterval(this.pollTimer);
        this.pollTimer = null;
    }
}
