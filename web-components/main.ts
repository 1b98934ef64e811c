/**
 * Placeholder client until the browser issue: shows who is signed in, with a link to the
 * API. The real Lit application replaces this.
 */
import { LitElement, css, html } from 'lit';

class ParleyApp extends LitElement {
  static properties = { user: { state: true } };
  declare user: { name: string } | null | undefined;

  static styles = css`
    :host { display: block; font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; }
  `;

  constructor() {
    super();
    this.user = undefined;
  }

  async connectedCallback() {
    super.connectedCallback();
    const r = await fetch('/api/me');
    this.user = r.ok ? ((await r.json()) as { user: { name: string } }).user : null;
  }

  render() {
    const who = this.user === undefined ? 'Loading…' : this.user ? `Signed in as ${this.user.name}.` : 'Not signed in.';
    return html`<h1>Parley</h1><p>${who}</p><p>The chat client arrives with the browser issue; the HTTP API is live under /api.</p>`;
  }
}

customElements.define('parley-app', ParleyApp);
