// The bench's client of the control plane's REST API: one base URL, and the admin token as a bearer
// header on every call (a control plane without authentication ignores the header).

export class BenchApi {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.token}`);
    return fetch(`${this.base}${path}`, { ...init, headers });
  }

  /** The parsed JSON answer; a clear error naming the call when the answer is not 2xx. */
  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.fetch(path, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** Creates (or revises) a flow from its YAML source. */
  async applyFlow(source: string): Promise<void> {
    await this.json('/api/v1/flows', {
      method: 'POST',
      headers: { 'content-type': 'application/x-yaml' },
      body: source,
    });
  }
}
