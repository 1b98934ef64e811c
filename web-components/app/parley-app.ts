/**
 * The application shell. It decides whether someone is signed in (GET /api/me on load),
 * owns the tab's one Connection for the length of a session, and maps the address bar to
 * a route. Everything below it receives what it needs as properties and answers with events.
 */
import { LitElement, css, html } from 'lit';
import { HttpError } from '../api/http.js';
import { currentUser, signOut, type User } from '../api/parley-api.js';
import { Connection } from '../connection/connection.js';
import { ConnectionController } from '../controllers/connection-controller.js';
import type { ParleyEvent } from '../events.js';
import { shownError } from '../format/retry.js';
import { internalLinkTarget, navigate, parseRoute, type Route } from './router.js';
import '../components/parley-auth.js';
import '../components/parley-workspace.js';

export class ParleyApp extends LitElement {
  static properties = {
    user: { state: true },
    route: { state: true },
    connection: { state: true },
    loadError: { state: true },
  };
  /** undefined while asking the server, null when signed out. */
  declare user: User | null | undefined;
  declare route: Route;
  declare connection: Connection | undefined;
  declare loadError: string;

  private readonly onPopState = () => this.readLocation();
  private readonly onSignedOut = () => this.endSession();

  static styles = css`
    :host {
      display: block;
      height: 100%;
    }
    .splash {
      display: grid;
      place-content: center;
      gap: 1rem;
      height: 100%;
      text-align: center;
      color: var(--parley-muted);
    }
    .splash button {
      font: inherit;
      padding: 0.4rem 1rem;
    }
  `;

  constructor() {
    super();
    this.user = undefined;
    this.connection = undefined;
    this.loadError = '';
    this.route = parseRoute(location.pathname).route;
    new ConnectionController(this, () => this.connection);
    this.addEventListener('click', (e) => {
      const path = internalLinkTarget(e);
      if (path === undefined) return;
      e.preventDefault();
      navigate(path);
    });
    this.addEventListener('parley-navigate', (e: ParleyEvent<'parley-navigate'>) => navigate(e.detail.path));
    this.addEventListener('parley-signed-in', (e: ParleyEvent<'parley-signed-in'>) => this.startSession(e.detail.user));
    this.addEventListener('parley-sign-out', () => void this.signOut());
  }

  connectedCallback(): void {
    super.connectedCallback();
    addEventListener('popstate', this.onPopState);
    this.readLocation();
    void this.loadUser();
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('popstate', this.onPopState);
    this.endSession();
  }

  render() {
    if (this.user === undefined) {
      return html`<div class="splash">
        ${this.loadError
          ? html`<p role="alert">${this.loadError}</p><button @click=${() => void this.loadUser()}>Try again</button>`
          : html`<p>Loading Parley…</p>`}
      </div>`;
    }
    if (this.user === null || !this.connection) return html`<parley-auth></parley-auth>`;
    return html`<parley-workspace
      .me=${this.user}
      .connection=${this.connection}
      .connectionState=${this.connection.state}
      .route=${this.route}
    ></parley-workspace>`;
  }

  private readLocation(): void {
    const { route, canonical } = parseRoute(location.pathname);
    if (canonical) history.replaceState(null, '', canonical);
    this.route = route;
  }

  private async loadUser(): Promise<void> {
    this.loadError = '';
    try {
      this.startSession(await currentUser());
    } catch (e) {
      if (e instanceof HttpError && e.status === 401) this.user = null;
      else this.loadError = shownError(e, 'Parley could not start.', Date.now()).message;
    }
  }

  private startSession(user: User): void {
    this.endSession();
    const connection = new Connection();
    connection.addEventListener('signedout', this.onSignedOut);
    connection.start();
    this.connection = connection;
    this.user = user;
  }

  /** Drops the socket and shows sign-in; the address stays, so signing in returns there. */
  private endSession(): void {
    if (this.connection) {
      this.connection.removeEventListener('signedout', this.onSignedOut);
      this.connection.stop();
      this.connection = undefined;
    }
    if (this.user) this.user = null;
  }

  private async signOut(): Promise<void> {
    try {
      await signOut();
    } catch {
      // Already signed out, or the server is away: the local session ends either way.
    }
    this.endSession();
  }
}

customElements.define('parley-app', ParleyApp);

declare global {
  interface HTMLElementTagNameMap {
    'parley-app': ParleyApp;
  }
}
